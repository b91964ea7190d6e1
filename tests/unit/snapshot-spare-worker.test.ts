// Worker threads for the snapshot (lib/backup/worker.ts): two are kept started, so that a task
// begins at once — a download's copy and its hashing thread take both — and the next ones are
// started when a task ends, never beside a running task, whose memory (a download's) they would
// add to. Counted as the process's threads, in a file of its own: no other test's workers share
// the process.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { hashFile, snapshotDatabase } from "../../lib/backup/worker";
import { fillerDatabase } from "../support/db";
import { tempDir } from "../support/temp";

const threads = () => readdirSync("/proc/self/task").length;
const mounts: string[] = [];
// The process's threads before any worker: libuv's pool starts all its threads on first use,
// so it is used first, to be in the count.
let withoutWorkers = 0;

before(async () => {
  await readFile(fillerDatabase(1));
  withoutWorkers = threads();
});

after(() => {
  for (const dir of mounts) execFileSync("umount", ["--lazy", dir]);
});

/** Resolves once the process has `count` threads (a terminated worker's thread ends a moment later). */
async function threadsBecome(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (threads() !== count) {
    if (Date.now() > deadline) throw new Error(`${threads()} threads, not ${count}, after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("two spare workers wait between tasks, and none is started while a task runs", async () => {
  const source = fillerDatabase(16);
  await hashFile(source);
  await threadsBecome(withoutWorkers + 2); // the first task's worker gone, two spares waiting

  let duringCopy = 0;
  await snapshotDatabase(source, path.join(tempDir(), "copy.db"), {
    onChunk: (_position, _chunk, giveBack) => {
      duringCopy = Math.max(duringCopy, threads());
      giveBack();
    },
  });
  assert.equal(
    duringCopy,
    withoutWorkers + 2,
    "the copy and its hash ran in the spares, and no other worker was started",
  );
  await threadsBecome(withoutWorkers + 2); // and two new spares wait for the next task
});

test("a copy that fails on a full disk ends its hashing thread too", async () => {
  const source = fillerDatabase(16);
  await hashFile(source);
  await threadsBecome(withoutWorkers + 2);

  // A real full disk (root, as CI runs): 4 MB of tmpfs for a 16 MB copy.
  const disk = tempDir("opstage-tmpfs-");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]);
  mounts.push(disk);
  const destination = path.join(disk, "copy.db");
  await assert.rejects(
    snapshotDatabase(source, destination, { onChunk: (_position, _chunk, giveBack) => giveBack() }),
    /ENOSPC/,
  );
  assert.ok(existsSync(destination), "the copy failed part-way, after its first chunks were queued for hashing");
  // Both the copy's worker and the hashing thread ended (a hashing thread left waiting for
  // chunks would be one thread more), and two spares wait again.
  await threadsBecome(withoutWorkers + 2);
});
