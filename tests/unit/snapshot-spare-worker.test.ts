// Worker threads for the snapshot (lib/backup/worker.ts): one is kept started, so that a task
// begins at once, and the next one is started when a task ends, never beside a running task,
// whose memory (a download's) it would add to. Counted as the process's threads, in a file of
// its own: no other test's workers share the process.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { hashFile, snapshotDatabase } from "../../lib/backup/worker";
import { fillerDatabase } from "../support/db";
import { tempDir } from "../support/temp";

const threads = () => readdirSync("/proc/self/task").length;

/** Resolves once the process has `count` threads (a terminated worker's thread ends a moment later). */
async function threadsBecome(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (threads() !== count) {
    if (Date.now() > deadline) throw new Error(`${threads()} threads, not ${count}, after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("a spare worker waits between tasks, and none is started while a task runs", async () => {
  const source = fillerDatabase(16);
  // libuv's pool starts all its threads on first use: used now, so that they are in the count.
  await readFile(source);
  const withoutWorkers = threads();

  await hashFile(source);
  await threadsBecome(withoutWorkers + 1); // the first task's worker gone, a spare waiting

  let duringCopy = 0;
  await snapshotDatabase(source, path.join(tempDir(), "copy.db"), {
    onChunk: (_position, _chunk, giveBack) => {
      duringCopy = Math.max(duringCopy, threads());
      giveBack();
    },
  });
  assert.equal(duringCopy, withoutWorkers + 1, "the copy ran in the spare, and no other worker was started");
  await threadsBecome(withoutWorkers + 1); // and a new spare waits for the next task
});
