// The buffers the snapshot copy reads into, in memory shared between the worker thread and the
// server's main thread, so that a download can send each chunk from the very buffer the copy
// read it into: one read from opstage.db, two writes (the stored file, the socket), no read-back.
//
// Each slot has an Int32 state of three bits, changed only with Atomics:
// - IN_COPY: the copy holds it (reading into it, writing it to the file);
// - LENT: the download holds it (sending it). The copy sets it before lending; the download
//   clears it once the socket has taken the bytes;
// - HASHING: queued for the hashing thread (chunk-hashing.ts), which clears it once hashed.
// The copy only reads into a slot with no bit set, and never waits for the download: when the
// download holds every lendable slot (a slow client), the copy reads into one of the pool's
// reserve slots, which are never lent, and the download then reads those bytes from the stored
// file. The copy waits only for the hashing thread to be done with a slot.
//
// A pool outlives its download: the next download takes it again (takeChunkPool). Its memory is
// outside V8's heap and freed only by a major garbage collection of the main thread's heap,
// which a server doing little else runs minutes apart: a new pool for every download added its
// touched slots to the process's resident memory until then (measured, three 1 GB downloads
// with a writer: the server's RSS before each 270, 313, 317 MB; with the pool and the download's
// read buffers reused, and the worker's spare started after the task, 292, 291, 291 MB).
//
// Imported by the worker's bundle (worker-tasks.ts) as well as the server; the worker uses only
// the types and the Atomics.
import { processSingleton } from "../process-singleton";

/**
 * The size of every chunk the copy reads (a shared slot or its own buffer). 1 MB, not the 4 MB
 * it was: how many slots a download touches depends on how far its socket falls behind (a busy
 * main thread, another process on the cores), and each first touch of a slot is resident memory
 * the server gains. Measured, 1 GB downloads with a writer and the health poller, three builds
 * taking turns, the pool reused: RSS growth 18.4 / 8.6 / 2.4 MB with 4 MB slots, 8.6 / 6.2 /
 * 7.1 with 2 MB, 5.7 / 5.8 / 3.1 with 1 MB; download times within the machine's noise.
 */
export const COPY_CHUNK_BYTES = 1024 * 1024;
/**
 * How many shared slots a download's copy gets: one for the chunk being copied, the rest for
 * the socket (each drains in a few ms; a client that falls further behind reads from the file).
 */
export const LENDING_SLOTS = 6;
/**
 * Slots the copy never lends, for when the socket holds every lendable one: one to read the next
 * chunk into while the hashing thread still hashes the other.
 */
export const RESERVE_SLOTS = 2;

export type ChunkPool = {
  /** `(slots + reserve)` × `chunkBytes` of chunk data. */
  data: SharedArrayBuffer;
  /** One Int32 state per slot. */
  state: SharedArrayBuffer;
  /** Lendable slots: 0 … slots - 1. */
  slots: number;
  /** Slots never lent: slots … slots + reserve - 1. */
  reserve: number;
  chunkBytes: number;
};

const IN_COPY = 1;
const LENT = 2;
const HASHING = 4;

/** In shared memory: the worker lends its slots to the main thread. */
export function createChunkPool(slots: number, chunkBytes: number, reserve = 0): ChunkPool {
  return {
    data: new SharedArrayBuffer((slots + reserve) * chunkBytes),
    state: new SharedArrayBuffer((slots + reserve) * 4),
    slots,
    reserve,
    chunkBytes,
  };
}

type ShelvedPool = { pool: ChunkPool; copying: boolean };
// One shelf per process (process-singleton.ts). It holds one pool per download that ever ran at
// the same time as others (one, for a server's usual use).
const shelf = () => processSingleton<ShelvedPool[]>("chunk-pools", () => []);

/**
 * For a download's copy: a pool no copy uses and no download still holds a slot of (a slow
 * socket may hold one after its copy ended), else a new one. release() once the copy's worker
 * and its hashing thread have replied or died: any slot they still mark as theirs is free then.
 */
export function takeChunkPool(): { pool: ChunkPool; release: () => void } {
  const pools = shelf();
  let shelved = pools.find(({ pool, copying }) => !copying && states(pool).every((state) => state === 0));
  if (!shelved) {
    shelved = { pool: createChunkPool(LENDING_SLOTS, COPY_CHUNK_BYTES, RESERVE_SLOTS), copying: false };
    pools.push(shelved);
  }
  const taken = shelved;
  taken.copying = true;
  return {
    pool: taken.pool,
    release: () => {
      // A worker that died mid-chunk left that slot marked; a lent slot stays the download's.
      const state = states(taken.pool);
      for (let slot = 0; slot < state.length; slot++) Atomics.and(state, slot, ~(IN_COPY | HASHING));
      taken.copying = false;
    },
  };
}

/** A slot's bytes: the first `length` of them (all by default). */
export function slotBuffer(pool: ChunkPool, slot: number, length = pool.chunkBytes): Buffer {
  return Buffer.from(pool.data, slot * pool.chunkBytes, length);
}

function states(pool: ChunkPool): Int32Array {
  return new Int32Array(pool.state);
}

/** For the copy: a lendable slot nobody holds, now held by the copy; -1 when there is none. */
export function takeFreeSlot(pool: ChunkPool): number {
  return takeFirstFree(pool, 0, pool.slots);
}

/** For the copy: a reserve slot nobody holds, now held by the copy; -1 when there is none. */
export function takeReserveSlot(pool: ChunkPool): number {
  return takeFirstFree(pool, pool.slots, pool.slots + pool.reserve);
}

function takeFirstFree(pool: ChunkPool, from: number, to: number): number {
  const state = states(pool);
  for (let slot = from; slot < to; slot++) {
    if (Atomics.compareExchange(state, slot, 0, IN_COPY) === 0) return slot;
  }
  return -1;
}

/** Whether the download may be lent this slot (a reserve slot is the copy's alone). */
export function isLendable(pool: ChunkPool, slot: number): boolean {
  return slot < pool.slots;
}

/** For the copy: the slot is lent to the download (call before telling it). */
export function lendSlot(pool: ChunkPool, slot: number): void {
  Atomics.or(states(pool), slot, LENT);
}

/** For the copy: the slot is queued for the hashing thread (call before queueing it). */
export function markHashing(pool: ChunkPool, slot: number): void {
  Atomics.or(states(pool), slot, HASHING);
}

/** For the hashing thread: done with the slot. */
export function markHashed(pool: ChunkPool, slot: number): void {
  Atomics.and(states(pool), slot, ~HASHING);
}

/** For the copy: done with the slot (written, and hashed or queued for hashing). */
export function releaseCopySlot(pool: ChunkPool, slot: number): void {
  Atomics.and(states(pool), slot, ~IN_COPY);
}

/** For the download: done with the lent slot (sent, or not needed). */
export function returnLentSlot(pool: ChunkPool, slot: number): void {
  Atomics.and(states(pool), slot, ~LENT);
}
