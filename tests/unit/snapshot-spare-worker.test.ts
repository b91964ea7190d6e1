// Worker threads for the snapshot (lib/backup/worker.ts): a worker that has done its task waits
// for the next, up to two of them, so that a task begins at once — a download's copy and its
// hashing thread take both — and no thread starts beside a running download, whose memory it
// would add to. Counted as the process's threads, in a file of its own: no other test's workers
// share the process. The tests run in order and each starts from the workers the one before left.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { checkIntegrity, hashFile, snapshotDatabase } from "../../lib/backup/worker";
import { fillerDatabase } from "../support/db";
import { tempDir } from "../support/temp";

const threadIds = () => readdirSync("/proc/self/task").sort();
const threads = () => threadIds().length;
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

/**
 * A download's snapshot: lends its chunks (each given back at once), so it hashes on a second
 * thread. Notes the process's threads at each chunk.
 */
function downloadSnapshot(source: string, destination = path.join(tempDir(), "copy.db")) {
  const seen = new Set<string>();
  const copied = snapshotDatabase(source, destination, {
    onChunk: (_position, _chunk, giveBack) => {
      seen.add(threadIds().join(" "));
      giveBack();
    },
  });
  return { copied, seen };
}

test("a worker waits for the next task, two at most, and none is started while a download's copy runs", async () => {
  const source = fillerDatabase(16);
  await hashFile(source);
  await threadsBecome(withoutWorkers + 1); // the task's worker waits for the next

  const first = downloadSnapshot(source);
  await first.copied;
  // The copy ran in the waiting worker, its hash in a new one; both have answered (the snapshot
  // settles only then) and wait now.
  await threadsBecome(withoutWorkers + 2);
  const waiting = threadIds().join(" ");

  const second = downloadSnapshot(source);
  await second.copied;
  assert.deepEqual([...second.seen], [waiting], "the copy and its hash ran in the two waiting threads, none started");
  assert.equal(threadIds().join(" "), waiting, "and the same two wait again: none ended, none started");

  // Three tasks at once: a third worker is started, and ended after its task.
  await Promise.all([hashFile(source), hashFile(source), checkIntegrity(source)]);
  await threadsBecome(withoutWorkers + 2);
});

// With the copy's failure not passed on, the hashing thread would wait forever and so would the
// snapshot: the timeout makes that a failure rather than a hung run.
test("a copy that fails on a full disk ends its hashing thread's task too", { timeout: 60_000 }, async () => {
  const source = fillerDatabase(16);
  await hashFile(source);
  await threadsBecome(withoutWorkers + 2);

  // A real full disk (root, as CI runs): 4 MB of tmpfs for a 16 MB copy.
  const disk = tempDir("opstage-tmpfs-");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]);
  mounts.push(disk);
  const destination = path.join(disk, "copy.db");
  await assert.rejects(downloadSnapshot(source, destination).copied, /ENOSPC/);
  assert.ok(existsSync(destination), "the copy failed part-way, after its first chunks were queued for hashing");
  // The failed copy's worker is ended; the hashing thread, told the copy failed, has answered (the
  // snapshot settles only once both have) and waits for the next task.
  await threadsBecome(withoutWorkers + 1);
  const next = downloadSnapshot(source);
  assert.equal((await next.copied).method, "file-copy", "the next download's copy and hash run");
  assert.deepEqual(
    [...next.seen].map((ids) => ids.split(" ").length),
    [withoutWorkers + 2],
    "in the hashing thread that waited and one new worker: no thread is left behind",
  );
});
