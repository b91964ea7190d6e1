// Runs SQLite work that takes seconds per GB — the snapshot copy, hashing, integrity_check — in
// a worker thread with its own connections, so the server's event loop keeps answering requests.
// The worker's code is worker-tasks.ts, bundled into dist/snapshot-worker.cjs.
//
// How the snapshot is taken, fastest way first:
//
// 1. Checkpointed file copy (WAL mode). Fold the WAL into opstage.db, then open a read
//    transaction whose snapshot is exactly the file's content, and copy the file's bytes while it
//    stays open. Writers keep committing meanwhile — into the WAL only: a checkpoint never writes
//    WAL frames newer than the oldest open reader's snapshot into the main file (that is what lets
//    readers read the file at all; wal.c, mxSafeFrame / READ_LOCK(0)), so for the length of our
//    read the file does not change. The copy is then a `cp` of a file nobody writes: large
//    reads at disk speed instead of the backup API's pread + pwrite for every 4 KB page (measured:
//    the page loop is CPU-bound, ~2 s per GB, and slows further when a writer shares the cores).
//    To know that our snapshot is the file's content, the start of our read and the last
//    checkpoint happen while a second connection holds the write lock (about a millisecond when
//    nothing else is checkpointing; the bulk of the checkpoint runs before, with writers
//    committing). Our read holds a WAL read mark rather than read lock 0, so that writers'
//    commits do not pay for a checkpoint that cannot run (worker-tasks.ts, commitUnchangedFrame).
//
// 2. SQLite's online backup API, when (1) cannot get a fully checkpointed snapshot: the database
//    is not in WAL mode, or an older reader or another checkpoint holds WAL frames back.
//    sqlite3_backup_step() copies N pages at a time, and when another connection writes to the
//    source between two steps the backup starts over; better-sqlite3's default (100 pages a step)
//    therefore never finishes while Prisma's connection commits every millisecond or so. Copying
//    every page in a single step holds one read transaction for the whole copy; in WAL mode a
//    reader does not block writers, so they keep committing meanwhile.
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { databaseFileDescriptor } from "../db/database-file";
import { findAppPath } from "../db/paths";
import { walCheckpointOwner } from "../db/sqlite";
import { loadedSqliteBinding } from "../db/sqlite-binding";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { abortHashing, createHashQueue, type HashQueue } from "./chunk-hashing";
import { returnLentSlot, slotBuffer, takeChunkPool } from "./chunk-pool";
import { CHECK_EXTENSION, type CheckPart, unprovableTables, verdict } from "./index-check";
import type {
  CopyEvent,
  IntegrityResult,
  SnapshotResult,
  WorkerReply,
  WorkerRequest,
  WorkerTasks,
} from "./worker-tasks";

export type { CopyEvent, IntegrityResult, SnapshotMethod, SnapshotResult } from "./worker-tasks";

function startWorker(urgent = false): Worker {
  const worker = new Worker(findAppPath("dist/snapshot-worker.cjs"), { workerData: { opstageWorker: true, urgent } });
  // An idle spare must not keep a process (the CLI, a test) alive; a busy worker does.
  worker.unref();
  // A spare that dies while waiting is forgotten (its error would otherwise be unhandled and end
  // the process); the task that takes a worker listens for itself.
  worker.on("error", () => {});
  worker.once("exit", () => {
    for (const spares of [spareWorkers(), urgentSpareWorkers()]) {
      if (spares.includes(worker)) spares.splice(spares.indexOf(worker), 1);
    }
  });
  return worker;
}

// Starting a worker thread (the thread, the bundle, better-sqlite3's native module) takes tens of
// milliseconds before it can do anything, and ~6 MB of resident memory for its V8 heap and
// Node's start in it. So a worker that has done its task waits for the next one, up to
// SPARE_WORKERS of them, instead of ending: a task — a download's snapshot above all, whose first
// byte waits for it, and which takes two, the copy and its hashing thread — starts at once, and
// no thread starts in the middle of a download to add its memory to the server's. (Started
// anew after each task, even once the task had ended, the next spares' memory still landed in
// the download's: the download ends only after the stored copy is committed, and two threads
// starting meanwhile added 9.4 MB to one download's growth, measured.) A worker whose task
// failed or that died is not reused; one is started in its place when a task needs it. One set of
// spares per process (process-singleton.ts).
const SPARE_WORKERS = 2;
const spareWorkers = () => processSingleton<Worker[]>("spare-workers", () => []);

function takeWorker(): Worker {
  const worker = spareWorkers().shift() ?? startWorker();
  worker.ref();
  return worker;
}

// Urgent workers started ahead of the urgent tasks a restore to a moment is about to run (its
// hash and the full check's two threads), while Litestream writes the moment: a thread's start
// (its V8, the bundle, better-sqlite3) then uses the core Litestream leaves idle instead of
// delaying the check. Taken by the next urgent tasks; at most URGENT_SPARES wait.
const URGENT_SPARES = 3;
const urgentSpareWorkers = () => processSingleton<Worker[]>("urgent-spare-workers", () => []);

/** Starts the urgent workers a restore's check and hash will take (see urgentSpareWorkers). */
export function startUrgentWorkersAhead(): void {
  const spares = urgentSpareWorkers();
  while (spares.length < URGENT_SPARES) spares.push(startWorker(true));
}

/** A worker that replied to its task: kept as a spare if one is missing, else ended. */
function keepOrEnd(worker: Worker): void {
  const spares = spareWorkers();
  if (spares.length >= SPARE_WORKERS) {
    void worker.terminate();
    return;
  }
  worker.unref();
  spares.push(worker);
}

/**
 * The spare workers: none is started ahead (the first task starts its own), but a restore's urgent
 * ones (startUrgentWorkersAhead). A stop ends the idle spares; a busy worker belongs to its task,
 * which the services using it have waited for.
 */
export const snapshotWorkersService: Service = {
  name: "snapshot workers",
  start: () => {},
  async stop() {
    const spares = [...spareWorkers().splice(0), ...urgentSpareWorkers().splice(0)];
    await Promise.all(spares.map((worker) => worker.terminate()));
  },
};

/**
 * Runs `task` on a worker thread. An urgent task (a restore: someone waits for it, and the console
 * waits for nothing it does) gets a thread of its own at the server's priority (one started ahead
 * for it, or a new one), ended afterwards;
 * the others take a spare, which runs below the server's main thread (worker-tasks.ts).
 */
function runTask<K extends keyof WorkerTasks>(
  task: K,
  args: Parameters<WorkerTasks[K]>[0],
  onEvent?: (event: CopyEvent) => void,
  urgent = false,
): ReturnType<WorkerTasks[K]> {
  const request = { task, args, nativeBinding: loadedSqliteBinding() } as WorkerRequest;
  return new Promise((resolve, reject) => {
    const worker = urgent ? (urgentSpareWorkers().shift() ?? startWorker(true)) : takeWorker();
    if (urgent) worker.ref();
    const onMessage = (message: WorkerReply | CopyEvent) => {
      if ("event" in message) return onEvent?.(message);
      done();
      if (message.ok) {
        if (urgent) void worker.terminate();
        else keepOrEnd(worker);
        resolve(message.result as never);
      } else {
        void worker.terminate();
        reject(Object.assign(new Error(`${task} failed: ${message.message}`), { code: message.code }));
      }
    };
    const onError = (error: Error) => {
      done();
      void worker.terminate();
      reject(error);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`${task} worker exited with code ${code}`));
    };
    // The worker outlives this task: its listeners must not.
    const done = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.once("exit", onExit);
    worker.postMessage(request);
  }) as ReturnType<WorkerTasks[K]>;
}

/** The file copy's progress: its size once known, then how much of it is in the file. */
export type CopyProgress = Exclude<CopyEvent, { event: "lent" }>;
/**
 * A chunk of the file copy as it was read, before it is in the file: `chunk` stays unchanged
 * until giveBack() is called, which must be called once, whether the chunk was used or not.
 */
export type LentChunk = (position: number, chunk: Buffer, giveBack: () => void) => void;

/** A copy and its hashing thread: either may end (fail, die) while the other waits for it. */
function pairWithHashing(copied: Promise<unknown>, hashed: Promise<void>, queue: HashQueue, destination: string): void {
  // The abort wakes the other; after the digest it changes nothing.
  const stop = () => abortHashing(queue);
  void copied.then(stop, stop);
  void hashed.then(stop, (error: Error) => {
    stop();
    // The copy then fails for want of its sha256, saying only that the hashing thread stopped.
    logger().error(`the hashing thread of the copy to ${destination} failed: ${error.message}`);
  });
}

/**
 * Writes a consistent copy of the live database at `sourcePath` to `destinationPath` (a new
 * file), in rollback-journal mode and fsync'ed. Returns which way it was taken (see the top of
 * this file), why the file copy could not be used when it was not, and the copy's sha256,
 * computed as it was written. onEvent hears the file copy's progress; onChunk, when given, is
 * lent the file copy's chunks as they are read (chunk-pool.ts; not every chunk when the
 * receiver holds on to them).
 */
export function snapshotDatabase(
  sourcePath: string,
  destinationPath: string,
  options: { busyTimeoutMs?: number; onEvent?: (event: CopyProgress) => void; onChunk?: LentChunk } = {},
): Promise<SnapshotResult> {
  let sourceFd: number;
  try {
    sourceFd = databaseFileDescriptor(sourcePath);
  } catch (error) {
    return Promise.reject(new Error(`snapshot failed: ${(error as Error).message}`));
  }
  // While Litestream replicates it holds a read transaction that keeps WAL frames out of the
  // file, so the checkpointed copy could never empty the WAL: it would only stall writers for its
  // five write-locked attempts before falling back. Its checkpoints are Litestream's to take
  // (sqlite.ts, WalCheckpointOwner): the backup API copies the pages, checkpointing nothing.
  const skipFileCopy =
    walCheckpointOwner() === "litestream"
      ? "replication is on: Litestream owns the WAL's checkpoints, so the snapshot copies pages with the backup API"
      : undefined;
  const { onChunk, onEvent } = options;
  const lending = onChunk ? takeChunkPool() : undefined;
  const lendFrom = lending?.pool;
  // A download's copy is hashed on a second thread (chunk-hashing.ts). The copy takes the first
  // spare worker: its first chunk is the download's first byte, and the hash can catch up.
  const hashOn = lendFrom && !skipFileCopy ? createHashQueue(lendFrom) : undefined;
  const copied = runTask(
    "snapshot",
    {
      sourcePath,
      sourceFd,
      destinationPath,
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      skipFileCopy,
      lendFrom,
      hashOn,
    },
    (event) => {
      if (event.event !== "lent") onEvent?.(event);
      else if (lendFrom && onChunk) {
        // Once only: a second return after the copy lent the slot again would free it under the
        // new borrower.
        let returned = false;
        onChunk(event.position, slotBuffer(lendFrom, event.slot, event.length), () => {
          if (returned) return;
          returned = true;
          returnLentSlot(lendFrom, event.slot);
        });
      }
    },
  );
  const hashed = hashOn ? runTask("hashChunks", { pool: lendFrom!, queue: hashOn }) : undefined;
  if (hashed) pairWithHashing(copied, hashed, hashOn!, destinationPath);
  if (!lending) return copied;
  // Settled once both threads have answered: their workers then wait for the next task, and the
  // pool is free for the next download, which may start as soon as this one resolves.
  return Promise.allSettled([copied, hashed]).then(() => {
    lending.release();
    return copied;
  });
}

/**
 * Copies a file into a new one (never overwriting), fsync'ed, hashing it on the way; returns the
 * sha256 of the bytes written. The hash runs on a second thread, chunk by chunk as the copy
 * writes them (chunk-hashing.ts, as a download's snapshot): the copy then takes about as long as
 * the slower of `cp` and `sha256sum` on two cores, not their sum. A chunk's slot is read into,
 * written from and hashed before it is reused, so what is hashed is what was written.
 * `urgent`: both threads at the server's priority (runTask).
 */
export function copyFileHashed(
  source: string,
  destination: string,
  options: { urgent?: boolean } = {},
): Promise<string> {
  const lending = takeChunkPool();
  const pool = lending.pool;
  const queue = createHashQueue(pool);
  const copied = runTask("copy", { source, destination, lendFrom: pool, hashOn: queue }, undefined, options.urgent);
  const hashed = runTask("hashChunks", { pool, queue }, undefined, options.urgent);
  pairWithHashing(copied, hashed, queue, destination);
  // Settled once both threads have answered: the pool is free for the next copy then.
  return Promise.allSettled([copied, hashed]).then(() => {
    lending.release();
    return copied;
  });
}

/** The sha256 (hex) of a file, computed off the main thread; `urgent` as in runTask. */
export function hashFile(path: string, options: { urgent?: boolean } = {}): Promise<string> {
  return runTask("hash", { path }, undefined, options.urgent);
}

/**
 * Opens a file read-only and runs integrity_check on it, off the main thread — or, with `quick`,
 * quick_check: every page and b-tree readable and well-formed, without matching each index's
 * content against its table's (O(N) instead of O(N log N); 0.5 s against 2.0 s for 300 MB of
 * indexed rows here).
 */
export function checkIntegrity(
  path: string,
  options: { quick?: boolean; urgent?: boolean } = {},
): Promise<IntegrityResult> {
  return runTask("check", { path, quick: options.quick ?? false }, undefined, options.urgent);
}

/** Threads the parallel integrity check runs on: one per core of the 2-core hosts it is sized for. */
const CHECK_THREADS = 2;

/**
 * Proves what integrity_check proves — quick_check, and each index's content against its table's
 * (index-check.ts says how, and what the proof rests on) — in parts that CHECK_THREADS worker
 * threads take one after another, each thread on its own read-only connection. The result names
 * integrity_check (its words, its refusal) and, in `by`, what ran; a file SQLite cannot read is
 * `sqlite: false`, as integrity_check's would be. `extension`: the check's SQLite extension
 * (default: CHECK_EXTENSION in the app's folder); when it does not load, integrity_check runs.
 */
export async function checkIntegrityParallel(
  path: string,
  options: { urgent?: boolean; threads?: number; extension?: string } = {},
): Promise<IntegrityResult & { by: string }> {
  const urgent = options.urgent;
  let extension: string;
  try {
    extension = options.extension ?? findAppPath(CHECK_EXTENSION);
    // Said here: SQLite's own error for a missing file names its second try, the path plus ".so".
    if (!existsSync(/* turbopackIgnore: true */ extension)) throw new Error(`${extension} is missing`);
  } catch (error) {
    return withoutExtension(path, (error as Error).message, urgent);
  }
  // Each thread starts once, plans the check itself and takes the next part when it is done with
  // one (a thread started per part cost more than the parts of a small file: ~45 parts for
  // Opstage's schema; one started only to plan, ~0.1 s before any part ran).
  const threads = options.threads ?? CHECK_THREADS;
  const runParts = (parts: CheckPart[] | undefined) => {
    const next = new SharedArrayBuffer(4);
    const count = parts ? Math.min(threads, parts.length) : threads;
    return Promise.allSettled(
      Array.from({ length: count }, () => runTask("checkParts", { path, extension, parts, next }, undefined, urgent)),
    );
  };
  const settled = await runParts(undefined);
  const done = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
  const unavailable = done.find((value): value is { unavailable: string } => "unavailable" in value);
  if (unavailable) return withoutExtension(path, unavailable.unavailable, urgent);
  const ran = done.flatMap((value) => ("parts" in value ? [value] : []));
  let failed = settled.find((outcome) => outcome.status === "rejected");
  const parts = ran[0]?.parts ?? [];
  const results = ran.flatMap((value) => value.results);
  // Tables a part could not prove (a query plan other than the one the proof needs):
  // integrity_check(TABLE) once each, on the same number of threads.
  const unprovable = [...unprovableTables(results)].map(([table, reason]): CheckPart => ({
    kind: "table",
    table,
    reason,
  }));
  if (!failed && unprovable.length > 0) {
    const round = await runParts(unprovable);
    failed = round.find((outcome) => outcome.status === "rejected");
    for (const outcome of round) {
      if (outcome.status === "fulfilled" && "results" in outcome.value) results.push(...outcome.value.results);
    }
  }
  const failure: unknown = failed ? (failed as PromiseRejectedResult).reason : undefined;
  const indexes = new Set(parts.flatMap((part) => (part.kind === "entries" ? [part.spec.index] : []))).size;
  const fallbacks = results.flatMap((result) => (result.fallback ? [result.fallback] : []));
  const by =
    `quick_check and ${indexes} index(es) summed against their tables on ${threads} threads` +
    (fallbacks.length > 0 ? `; ${fallbacks.join("; ")}` : "");
  if (failure !== undefined) {
    // With no thread finished, the plan is not known here (SQLite may not have read the file at all).
    const said = ran.length > 0 ? by : "integrity_check";
    return { sqlite: false, integrity: [unprefixed(failure)], check: "integrity_check", by: said };
  }
  const problems = verdict(results);
  return { sqlite: true, integrity: problems.length > 0 ? problems : ["ok"], check: "integrity_check", by };
}

/**
 * integrity_check itself, when the check's extension is not there to load (a checkout whose
 * scripts/build-worker.mjs has not run, a build for another platform): as sure, only slower, and
 * the result and the log say why.
 */
async function withoutExtension(
  path: string,
  why: string,
  urgent: boolean | undefined,
): Promise<IntegrityResult & { by: string }> {
  logger().warn({ why }, "the full check's SQLite extension did not load: integrity_check checks this file instead");
  const result = await checkIntegrity(path, { urgent });
  return { ...result, by: `integrity_check (the full check's SQLite extension did not load: ${why})` };
}

/** A worker task's error without runTask's "<task> failed: " prefix: SQLite's own words. */
function unprefixed(error: unknown): string {
  return (error as Error).message.replace(/^\w+ failed: /, "");
}
