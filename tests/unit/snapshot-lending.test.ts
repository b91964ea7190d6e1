// The file copy lends each chunk as it reads it (lib/backup/chunk-pool.ts), so that a download
// sends it without reading it back from the stored file — and never waits for the borrower.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { COPY_CHUNK_BYTES, LENDING_SLOTS } from "../../lib/backup/chunk-pool";
import { snapshotDatabase } from "../../lib/backup/worker";
import { fillerDatabase } from "../support/db";
import { tempDir } from "../support/temp";

type Borrowed = { position: number; bytes: Buffer; chunk: Buffer; giveBack: () => void };

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("the file copy lends its chunks", () => {
  test("chunks in order, byte for byte the stored copy, when each goes back at once", async () => {
    const source = fillerDatabase(20);
    const copy = path.join(tempDir(), "copy.db");
    const lent: Borrowed[] = [];
    const result = await snapshotDatabase(source, copy, {
      onChunk: (position, chunk, giveBack) => {
        lent.push({ position, bytes: Buffer.from(chunk), chunk, giveBack });
        giveBack();
      },
    });
    assert.equal(result.method, "file-copy");
    const stored = readFileSync(copy);
    assert.equal(result.sha256, sha256(stored), "the hashing thread's sha256 is the stored copy's");
    let after = -1;
    for (const chunk of lent) {
      assert.ok(chunk.position > after, "lent in order");
      after = chunk.position;
      assert.ok(chunk.bytes.equals(stored.subarray(chunk.position, chunk.position + chunk.bytes.length)));
    }
    // Not necessarily every chunk: the copy does not wait for a slot to come back, and this
    // thread may see a chunk only after the copy needed the slot again.
    const lentBytes = lent.reduce((sum, chunk) => sum + chunk.bytes.length, 0);
    assert.ok(lentBytes > stored.length / 2, `${lentBytes} of ${stored.length} bytes lent`);
  });

  test("a borrower that keeps every chunk does not hold the copy back, and what it keeps stays intact", async () => {
    const source = fillerDatabase(48);
    const copy = path.join(tempDir(), "copy.db");
    const kept: Borrowed[] = [];
    // Resolves only if the copy ends without one chunk given back.
    const result = await snapshotDatabase(source, copy, {
      onChunk: (position, chunk, giveBack) => kept.push({ position, bytes: Buffer.from(chunk), chunk, giveBack }),
    });
    const stored = readFileSync(copy);
    assert.ok(stored.length > (LENDING_SLOTS + 2) * COPY_CHUNK_BYTES, "more chunks than slots");
    // The chunks after the lendable slots went through the reserve slots, each reused as soon as
    // the hashing thread was done with it.
    assert.equal(result.sha256, sha256(stored), "the hashing thread's sha256 is the stored copy's");
    // The copy needs a slot for each chunk it reads into; with none given back it lends at most
    // all of them and copies the rest through the reserve slots, which are never lent.
    assert.ok(kept.length > 0 && kept.length <= LENDING_SLOTS, `${kept.length} chunks lent`);
    for (const chunk of kept) {
      const expected = stored.subarray(chunk.position, chunk.position + chunk.chunk.length);
      assert.ok(chunk.chunk.equals(expected), `the slot lent at ${chunk.position} was not reused while kept`);
      chunk.giveBack();
    }
  });

  test("the next copy lends from the same slots once all are back, never from one a borrower still holds", async () => {
    const source = fillerDatabase(20);
    const stored = (file: string) => readFileSync(file);
    const snapshot = async (keepFirst: boolean) => {
      const copy = path.join(tempDir(), "copy.db");
      const lent: Borrowed[] = [];
      await snapshotDatabase(source, copy, {
        onChunk: (position, chunk, giveBack) => {
          lent.push({ position, bytes: Buffer.from(chunk), chunk, giveBack });
          if (!keepFirst || lent.length > 1) giveBack();
        },
      });
      return { copy, lent, memory: new Set(lent.map(({ chunk }) => chunk.buffer)) };
    };

    const first = await snapshot(true);
    const held = first.lent[0]!;
    const second = await snapshot(false);
    assert.equal(first.memory.size, 1, "one pool for a copy");
    assert.ok(!second.memory.has([...first.memory][0]!), "a pool with a slot still held is not lent again");
    const heldBytes = stored(first.copy).subarray(held.position, held.position + held.chunk.length);
    assert.ok(held.chunk.equals(heldBytes), "the slot still held kept its bytes");
    held.giveBack();

    const third = await snapshot(false);
    const known = new Set([...first.memory, ...second.memory]);
    assert.ok(
      [...third.memory].every((memory) => known.has(memory)),
      "a pool all given back is lent again",
    );
    for (const chunk of third.lent) {
      const expected = stored(third.copy).subarray(chunk.position, chunk.position + chunk.bytes.length);
      assert.ok(chunk.bytes.equals(expected), `the chunk lent at ${chunk.position} is the stored copy's`);
    }
  });
});
