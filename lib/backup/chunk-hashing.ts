// A download's copy is hashed on a second worker thread, beside the thread that reads and writes
// it. On one thread every byte is read, hashed and written in turn, and sha256 (SHA-NI, ~1.4 GB/s
// in this process) costs as much CPU as the reading and writing together: on a disk that writes
// 1 GB in 0.7 s the copy was CPU-bound on its one core while the other was half idle. Measured,
// 1 GB from the page cache into a new file with fsync, three times each, taking turns: 1.53-1.65 s
// on one thread, 1.01-1.06 s with the hash on a second one (`cp` + fsync 0.69-0.79 s).
//
// The copy queues each chunk (a slot of the shared chunk pool, chunk-pool.ts) after writing it;
// the hashing thread hashes the chunks in the queue's order and frees each slot's HASHING bit.
// Both sides block in Atomics.wait on one signal word that every change bumps (a chunk queued, a
// chunk hashed, the end, an abort), read before each check, so that no wake-up is lost between
// a check and the wait. The main thread never waits on it; it only aborts (worker.ts), when
// either thread ended without the other knowing.
//
// Imported by the worker's bundle (worker-tasks.ts) and by the server (worker.ts).
import { createHash } from "node:crypto";
import { type ChunkPool, markHashed, markHashing, slotBuffer } from "./chunk-pool";

export type HashQueue = {
  /** Int32 words: SIGNAL, QUEUED, PHASE, then (slot, length) per queue entry. */
  control: SharedArrayBuffer;
  /** The sha256, once PHASE is DIGESTED. */
  digest: SharedArrayBuffer;
  /** Entries in the ring: at least the pool's slots, since each queued chunk holds a slot. */
  capacity: number;
};

const SIGNAL = 0;
const QUEUED = 1;
const PHASE = 2;
const ENTRIES = 3;

const RUNNING = 0;
/** Where the two words a thread decides on sit, for the test that pauses a thread between its reads. */
export const QUEUE_WORDS = { signal: SIGNAL, queued: QUEUED, phase: PHASE, running: RUNNING } as const;
/** Every chunk is queued. */
const ENDED = 1;
/** Every chunk is hashed and the digest written. */
const DIGESTED = 2;
const ABORTED = 3;

const DIGEST_BYTES = 32;
// Only a safety net: every change notifies.
const WAIT_MS = 200;

export class HashingAborted extends Error {
  constructor() {
    super("the copy's hashing thread stopped before the copy's sha256 was known");
  }
}

export function createHashQueue(pool: ChunkPool): HashQueue {
  const capacity = pool.slots + pool.reserve;
  return {
    control: new SharedArrayBuffer((ENTRIES + 2 * capacity) * 4),
    digest: new SharedArrayBuffer(DIGEST_BYTES),
    capacity,
  };
}

function words(queue: HashQueue): Int32Array {
  return new Int32Array(queue.control);
}

function signal(control: Int32Array): void {
  Atomics.add(control, SIGNAL, 1);
  Atomics.notify(control, SIGNAL);
}

/**
 * Blocks until `ready` returns something other than undefined (re-checked after every change),
 * or throws HashingAborted once the queue is aborted.
 */
function waitFor<T>(queue: HashQueue, ready: () => T | undefined): T {
  const control = words(queue);
  for (;;) {
    const seen = Atomics.load(control, SIGNAL);
    const result = ready();
    if (result !== undefined) return result;
    if (Atomics.load(control, PHASE) === ABORTED) throw new HashingAborted();
    Atomics.wait(control, SIGNAL, seen, WAIT_MS);
  }
}

/** For the copy: the chunk in `slot` (written, maybe lent) is the next to hash. */
export function queueForHashing(queue: HashQueue, pool: ChunkPool, slot: number, length: number): void {
  const control = words(queue);
  const queued = Atomics.load(control, QUEUED);
  control[ENTRIES + 2 * (queued % queue.capacity)] = slot;
  control[ENTRIES + 2 * (queued % queue.capacity) + 1] = length;
  markHashing(pool, slot);
  // Seq-cst: the hashing thread that reads the new count also sees the entry and the slot's bytes.
  Atomics.store(control, QUEUED, queued + 1);
  signal(control);
}

/** For the copy: a slot from `take` (which returns -1 while none is free), waiting for the hashing thread to free one. */
export function waitForSlot(queue: HashQueue, take: () => number): number {
  return waitFor(queue, () => {
    const slot = take();
    return slot >= 0 ? slot : undefined;
  });
}

/** For the copy: every chunk is queued; blocks until the hashing thread has the digest (hex). */
export function hashedDigest(queue: HashQueue): string {
  const control = words(queue);
  if (Atomics.compareExchange(control, PHASE, RUNNING, ENDED) === RUNNING) signal(control);
  return waitFor(queue, () =>
    Atomics.load(control, PHASE) === DIGESTED ? Buffer.from(queue.digest).toString("hex") : undefined,
  );
}

/** From any thread: the copy or the hashing thread ended without finishing. No-op once digested. */
export function abortHashing(queue: HashQueue): void {
  const control = words(queue);
  for (;;) {
    const phase = Atomics.load(control, PHASE);
    if (phase === DIGESTED || phase === ABORTED) return;
    if (Atomics.compareExchange(control, PHASE, phase, ABORTED) === phase) break;
  }
  signal(control);
}

/**
 * The hashing thread's whole task: hashes the queued chunks in order until the copy says it has
 * queued the last, then publishes the digest for the copy (hashedDigest). Throws HashingAborted
 * on abort.
 */
export function hashQueuedChunks(queue: HashQueue, pool: ChunkPool): void {
  const control = words(queue);
  const hash = createHash("sha256");
  for (let hashed = 0; ; hashed++) {
    const next = waitFor(queue, () => {
      // The phase first: the copy ends only after its last chunk is queued, so a count read after
      // seeing the end is the final one. Read the other way round, a thread descheduled between
      // the two reads could take an old count for the final one and leave the last chunks out
      // of the digest.
      const ended = Atomics.load(control, PHASE) === ENDED;
      if (hashed < Atomics.load(control, QUEUED)) return hashed % queue.capacity;
      return ended ? -1 : undefined;
    });
    if (next === -1) break;
    const slot = control[ENTRIES + 2 * next]!;
    hash.update(slotBuffer(pool, slot, control[ENTRIES + 2 * next + 1]!));
    markHashed(pool, slot);
    signal(control);
  }
  hash.digest().copy(Buffer.from(queue.digest));
  if (Atomics.compareExchange(control, PHASE, ENDED, DIGESTED) !== ENDED) throw new HashingAborted();
  signal(control);
}
