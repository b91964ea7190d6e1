// A download's copy is hashed on a second thread (lib/backup/chunk-hashing.ts). The digest must
// cover every chunk however the two threads are scheduled: here the hashing thread, once it has
// caught up with the copy, is paused right after one or the other of the two words it decides on
// until the copy has queued its last chunks and ended (a preload,
// tests/support/pause-hashing-thread.cjs). The 4 MB database's five chunks fit the pool's slots,
// so the copy never waits for the paused thread.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { QUEUE_WORDS } from "../../lib/backup/chunk-hashing";
import { projectRoot } from "../support/server";

const DOWNLOADS = 4;

function downloadsWithPausedHasher(pauseAt: number): { method: string; reported: string; stored: string }[] {
  const output = execFileSync(
    process.execPath,
    [
      "--require",
      path.join(projectRoot, "tests/support/pause-hashing-thread.cjs"),
      "--import",
      "tsx",
      path.join(projectRoot, "tests/support/download-snapshots.ts"),
      String(DOWNLOADS),
    ],
    {
      cwd: projectRoot,
      encoding: "utf8",
      env: { ...process.env, OPSTAGE_TEST_PAUSE: JSON.stringify({ ...QUEUE_WORDS, pauseAt }) },
    },
  );
  return output
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("the copy's sha256, hashed on a second thread, is the stored file's", () => {
  for (const [word, pauseAt] of [
    ["the count of chunks queued", QUEUE_WORDS.queued],
    ["the copy's phase", QUEUE_WORDS.phase],
  ] as const) {
    test(`with the hashing thread paused after reading ${word}`, () => {
      const downloads = downloadsWithPausedHasher(pauseAt);
      assert.equal(downloads.length, DOWNLOADS);
      for (const [index, { method, reported, stored }] of downloads.entries()) {
        assert.equal(method, "file-copy");
        assert.equal(reported, stored, `download ${index + 1}: the reported sha256 is the stored file's`);
      }
    });
  }
});
