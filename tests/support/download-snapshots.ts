// Run as a process of its own by tests/unit/snapshot-hash-paused.test.ts, with
// pause-hashing-thread.cjs preloaded: takes download snapshots (chunks lent, so hashed on a second
// thread) of a filler database and prints, for each, the sha256 it reported and the stored file's.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { snapshotDatabase } from "../../lib/backup/worker";
import { fillerDatabase } from "./db";
import { tempDir } from "./temp";

async function main(runs: number): Promise<void> {
  const source = fillerDatabase(4);
  for (let run = 0; run < runs; run++) {
    const copy = path.join(tempDir(), "copy.db");
    const result = await snapshotDatabase(source, copy, { onChunk: (_position, _chunk, giveBack) => giveBack() });
    const stored = createHash("sha256").update(readFileSync(copy)).digest("hex");
    console.log(JSON.stringify({ method: result.method, reported: result.sha256, stored }));
  }
}

void main(Number(process.argv[2] ?? 3));
