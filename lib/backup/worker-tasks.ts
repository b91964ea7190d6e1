// The code that runs inside the worker thread (see worker.ts for how the snapshot is taken and
// why it runs there). Bundled on its own by scripts/build-worker.mjs into dist/snapshot-worker.cjs:
// a worker thread needs a file to load, and after Next's bundling this module has no stable
// path of its own. Of the app it imports only types, the chunk pool and its hashing queue, so the
// bundle stays small.
import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import { setPriority } from "node:os";
import { promisify } from "node:util";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  abortHashing,
  HashingAborted,
  type HashQueue,
  hashedDigest,
  hashQueuedChunks,
  queueForHashing,
  waitForSlot,
} from "./chunk-hashing";
import {
  type ChunkPool,
  COPY_CHUNK_BYTES,
  isLendable,
  lendSlot,
  releaseCopySlot,
  slotBuffer,
  takeFreeSlot,
  takeReserveSlot,
} from "./chunk-pool";
import {
  CheckExtensionUnavailable,
  type CheckPart,
  loadCheckFunctions,
  type PartResult,
  planCheck,
  runPart,
} from "./index-check";

const fdatasync = promisify(fs.fdatasync);
const readAt = promisify(fs.read);

export type SnapshotMethod = "file-copy" | "backup-api";
export type SnapshotResult = {
  method: SnapshotMethod;
  sha256: string;
  /** Why the checkpointed file copy could not be used, when the backup API took over. */
  fallbackReason?: string;
};
/** `check` names the pragma that ran: integrity_check, or quick_check (see worker.ts checkIntegrity). */
export type IntegrityResult = { sqlite: boolean; integrity: string[]; check: "integrity_check" | "quick_check" };

export type WorkerTasks = {
  snapshot: (args: {
    sourcePath: string;
    sourceFd: number;
    destinationPath: string;
    busyTimeoutMs: number;
    /** Why the checkpointed file copy must not be tried (worker.ts: replication is on); absent: try it. */
    skipFileCopy?: string;
    /** Shared slots to read the file copy into and lend to the main thread (chunk-pool.ts). */
    lendFrom?: ChunkPool;
    /** With lendFrom: the file copy's chunks are hashed by the thread running hashChunks on this queue. */
    hashOn?: HashQueue;
  }) => Promise<SnapshotResult>;
  /** Hashes the chunks a snapshot queues (chunk-hashing.ts); the snapshot reads the digest from the queue. */
  hashChunks: (args: { pool: ChunkPool; queue: HashQueue }) => Promise<void>;
  /** With lendFrom and hashOn: hashed by the thread running hashChunks on that queue, as a snapshot's copy. */
  copy: (args: { source: string; destination: string; lendFrom?: ChunkPool; hashOn?: HashQueue }) => Promise<string>;
  hash: (args: { path: string }) => Promise<string>;
  check: (args: { path: string; quick: boolean }) => Promise<IntegrityResult>;
  /**
   * Parts of the parallel integrity check (index-check.ts), on this thread's own read-only
   * connection with the check's SQLite extension (`extension`, index-check.ts CHECK_EXTENSION):
   * `parts`, or else the check's plan, which this thread makes itself (the same file, the same
   * plan in every thread: no thread started only to plan). Each thread running this task with the
   * same `next` (an Int32 counter in shared memory) takes the next part not yet taken, until none
   * is left. `unavailable`: the extension did not load (nothing is known of the file then).
   * Throws when SQLite cannot read the file.
   */
  checkParts: (args: {
    path: string;
    extension: string;
    parts?: CheckPart[];
    next: SharedArrayBuffer;
  }) => Promise<{ parts: CheckPart[]; results: PartResult[] } | { unavailable: string }>;
};

export type WorkerRequest = {
  [K in keyof WorkerTasks]: {
    task: K;
    args: Parameters<WorkerTasks[K]>[0];
    /** The native module the server loaded (lib/db/sqlite-binding.ts says why it must be the same). */
    nativeBinding?: string;
  };
}[keyof WorkerTasks];
export type WorkerReply = { ok: true; result: unknown } | { ok: false; message: string; code?: string };
/**
 * What the snapshot says while it runs, so that a download can stream the copy as it is made:
 * `copying` once the size is known (the file copy only; the backup API says nothing); `lent`
 * when a chunk starting at `position` has been read into a shared slot (lendFrom), which the
 * main thread returns when done with it; `copied` after each chunk is in the destination file
 * (readable through another descriptor).
 */
export type CopyEvent =
  | { event: "copying"; bytes: number }
  | { event: "lent"; position: number; slot: number; length: number }
  | { event: "copied"; position: number };

function emit(event: CopyEvent): void {
  parentPort?.postMessage(event);
}

// The write-locked checkpoint (see beginCheckpointedRead) waits at most LOCKED_WAIT_MS for
// another connection's checkpoint or an older reader to finish, holding writers back meanwhile;
// then it lets them through for RETRY_PAUSE_MS and tries again, ATTEMPTS times in all.
const LOCKED_WAIT_MS = 50;
const RETRY_PAUSE_MS = 20;
const ATTEMPTS = 5;
// The copy is flushed to disk every this many bytes rather than once at the end. On ext4
// (data=ordered) any process's fsync commits the filesystem journal, which first writes out the
// data of newly allocated blocks — ours included. With a whole GB of the copy dirty in memory, the
// writers' own commit fsyncs waited ~400 ms behind it (measured). Each flush runs in the thread
// pool while the next chunks are copied, FLUSHES_IN_FLIGHT at a time: the copy only waits for the
// flush before last, so the disk always has the next flush queued. With one at a time the copy
// stalled at each boundary while the disk sat idle between two flushes (1 GB into a new file,
// medians of five: 2.1 s against 1.6 s with two, `cp` + fsync 1.7-2.0 s in the same runs). At
// most three of these are ever dirty, and the flushes take two of libuv's four threads, no more.
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;
const FLUSHES_IN_FLIGHT = 2;

type Connection = Database.Database;

// Set from the task's request before any connection is opened.
let nativeBinding: string | undefined;

function openConnection(file: string, options: Database.Options = {}): Connection {
  return new Database(file, { ...options, ...(nativeBinding ? { nativeBinding } : {}) });
}
/** A row of `PRAGMA wal_checkpoint(...)`. */
export type CheckpointRow = { busy: number; log: number; checkpointed: number };

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sha256File(file: string): string {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const fd = fs.openSync(file, "r");
  try {
    let read: number;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

function openSource(sourcePath: string, busyTimeoutMs: number, options: Database.Options = {}): Connection {
  const db = openConnection(sourcePath, { fileMustExist: true, ...options });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  return db;
}

// Bytes 18 and 19 of an SQLite file's header are its write and read format versions: 2 in WAL
// mode, 1 in rollback-journal mode, and that is all that distinguishes the two on disk. A backup
// must be one self-contained file that opens read-only without creating -wal/-shm files beside
// it, so the copy of a WAL-mode database is marked rollback-journal as its first chunk passes:
// the bytes hashed (and, later, sent) are then exactly the bytes stored.
function markRollbackJournal(firstChunk: Buffer): void {
  if (firstChunk.length >= 20 && firstChunk[18] === 2 && firstChunk[19] === 2) {
    firstChunk[18] = 1;
    firstChunk[19] = 1;
  }
}

type CheckpointedRead = { bytes: number } | { fallbackReason: string };

const LOCK_POLL_MS = 0.2;

// BEGIN IMMEDIATE, retried every LOCK_POLL_MS for up to busyTimeoutMs. SQLite's own busy handler
// sleeps 1, 2, 5 … 100 ms between its tries: against a writer that commits back to back (the
// write lock is free only for the moment between two commits) it can miss every gap until the
// timeout, and the snapshot fell back to the backup API. Polling this often finds a gap.
function beginImmediatePolling(connection: Connection, busyTimeoutMs: number): void {
  connection.pragma("busy_timeout = 0");
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      connection.exec("BEGIN IMMEDIATE");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      sleepSync(LOCK_POLL_MS);
    }
  }
}

// A reader that starts while every WAL frame is already in the database file takes SQLite's read
// lock 0 ("the WAL can be ignored"). While anyone holds that lock, the checkpoint SQLite tries
// after each commit once the WAL passes 1000 pages (every connection's default) first sorts an
// index of all the WAL's frames and only then finds read lock 0 taken (wal.c, walCheckpoint), so
// during the copy each commit costs time in proportion to a WAL that only grows. Measured with
// the benchmark's writer (one audit row per millisecond, 7 WAL pages each) during 4 s copies of
// 1 GB: its median commit went from 0.11 ms to 0.70 ms by the end of each copy (0.38 ms over
// the copy), and it committed ~12% fewer rows than with the read below, whose median stays at
// 0.14 ms. A reader that starts while the WAL has a frame the file lacks takes a read mark at
// the WAL's last frame instead; once the checkpoint has folded the WAL up to that mark, the file
// is again exactly the reader's snapshot, and every later checkpoint stops at the mark before
// sorting anything. So before the read starts, one commit that changes no data (user_version set
// to its own value; SQLite still counts it in the header's change counter) makes sure the WAL
// has such a frame. Best effort: without it the copy is as consistent, writers only pay more.
function commitUnchangedFrame(connection: Connection, busyTimeoutMs: number): void {
  try {
    beginImmediatePolling(connection, busyTimeoutMs);
    try {
      const version = Number(connection.pragma("user_version", { simple: true }));
      connection.pragma(`user_version = ${version}`);
      connection.exec("COMMIT");
    } finally {
      if (connection.inTransaction) connection.exec("ROLLBACK");
    }
  } catch (error) {
    // Busy past the timeout: so would the write lock below be; fall back now rather than wait
    // twice. A full disk, a read-only file: the read below still gets its snapshot.
    if ((error as { code?: string }).code === "SQLITE_BUSY") throw error;
  }
}

// Starts a read transaction on the reader whose snapshot is exactly the database file's content
// and returns the length of that content, or why that could not be had.
function beginCheckpointedRead(reader: Connection, sourcePath: string, busyTimeoutMs: number): CheckpointedRead {
  if (reader.pragma("journal_mode", { simple: true }) !== "wal")
    return { fallbackReason: "the database is not in WAL mode" };
  const writeLock = openSource(sourcePath, busyTimeoutMs);
  // The last checkpoint runs while the reader's read is open, so on a connection of its own (a
  // connection inside a transaction cannot checkpoint).
  let checkpointer: Connection;
  try {
    checkpointer = openSource(sourcePath, busyTimeoutMs);
  } catch (error) {
    writeLock.close(); // the worker outlives the task: no connection may be left open
    throw error;
  }
  let lastState = "";
  try {
    // The bulk of the WAL, with writers still committing. PASSIVE: never waits for anyone.
    reader.pragma("wal_checkpoint(PASSIVE)");
    commitUnchangedFrame(writeLock, busyTimeoutMs);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) sleepSync(RETRY_PAUSE_MS);
      // No commit can land between the start of our read and the checkpoint while we hold this:
      // the WAL's last frame is then our read mark, and a checkpoint that reaches it leaves the
      // file exactly our snapshot. (A write transaction longer than the busy timeout throws: the
      // backup API then does it.)
      beginImmediatePolling(writeLock, busyTimeoutMs);
      let snapshotHeld = false;
      try {
        reader.exec("BEGIN");
        // The first read starts the read transaction; it lasts until COMMIT.
        const pages = reader.pragma("page_count", { simple: true }) as number;
        const deadline = Date.now() + LOCKED_WAIT_MS;
        for (;;) {
          const [result] = checkpointer.pragma("wal_checkpoint(PASSIVE)") as CheckpointRow[];
          if (result && result.busy === 0 && result.log === result.checkpointed) {
            snapshotHeld = true;
            return { bytes: pages * (reader.pragma("page_size", { simple: true }) as number) };
          }
          // busy: another connection is checkpointing (SQLite does not wait for that, even with a
          // busy timeout). log > checkpointed: a reader with an older snapshot keeps the rest of
          // the WAL out of the file. Both end within milliseconds, and no new commit can start
          // another checkpoint while we hold the write lock.
          lastState = result?.busy
            ? "another connection was checkpointing"
            : `an older reader kept ${(result?.log ?? 0) - (result?.checkpointed ?? 0)} WAL frame(s) out of the file`;
          if (Date.now() >= deadline) break;
          sleepSync(1);
        }
      } finally {
        if (!snapshotHeld && reader.inTransaction) reader.exec("COMMIT");
        writeLock.exec("ROLLBACK");
      }
    }
    return { fallbackReason: `the WAL could not be emptied in ${ATTEMPTS} attempts: ${lastState}` };
  } finally {
    checkpointer.close();
    writeLock.close();
  }
}

type CopyHooks = {
  /** May change the first chunk before it is written, hashed or lent. */
  editFirstChunk?: (chunk: Buffer) => void;
  /** Shared slots to read into; each chunk read into one is lent (onLent) once it is written. */
  lendFrom?: ChunkPool;
  /** With lendFrom: every chunk is read into a shared slot and hashed by another thread (chunk-hashing.ts). */
  hashOn?: HashQueue;
  onLent?: (position: number, slot: number, length: number) => void;
  /** The destination file exists (so another descriptor can open it). */
  onOpened?: () => void;
  onCopied?: (position: number) => void;
};

// Each chunk is copied in pieces this size, each read, hashed and written while it is still in
// the core's own cache (L2 is 512 KB here). A 4 MB read goes out to main memory and is read
// back by the hash and again by the write. Measured on 1 GB from the page cache: reads alone
// cost 0.50 s of system time in 4 MB reads and 0.16-0.20 s in 128 KB ones; read, hash and write
// together 1.26 s of CPU in 256 KB pieces against 1.50 s in 4 MB reads.
const PIECE_BYTES = 256 * 1024;

// A flush is awaited later, maybe after the copy failed: marked handled now, so that its own
// failure meanwhile is not an unhandled rejection (which ends a worker thread).
function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function writeAll(fd: number, piece: Buffer, position: number): void {
  for (let written = 0; written < piece.length;) {
    written += fs.writeSync(fd, piece, written, piece.length - written, position + written);
  }
}

// Copies the first `bytes` bytes of sourceFd into a new file (never an existing one), hashing
// them on the way, flushing as it goes and fsync'ing at the end. Returns the sha256 (hex).
//
// The reads and writes are synchronous on this thread, piece by piece (PIECE_BYTES): the thread
// does nothing else meanwhile, and a piece read, hashed and written at once never leaves the
// cache. Only the flushes run in libuv's pool, while the next chunks are copied. With hashOn the
// hash is another thread's (chunk-hashing.ts), which hashes each chunk while this one copies the
// next, and finishes while this one waits for the fsync.
async function copyBytes(
  sourceFd: number,
  destinationPath: string,
  bytes: number,
  hooks: CopyHooks = {},
): Promise<string> {
  const { editFirstChunk, lendFrom, hashOn, onLent, onOpened, onCopied } = hooks;
  if (hashOn && !lendFrom) throw new Error("hashing on another thread needs shared slots to read into");
  const hash: Hash | undefined = hashOn ? undefined : createHash("sha256");
  let own: Buffer | undefined; // allocated when no shared slot is free
  // A free shared slot when there is one, else (hashed here) the copy's own buffer, or (hashed on
  // another thread) the first slot, lendable or reserve, that the hashing thread is done with. It
  // never waits for the main thread to give a lent slot back: a slow client must not hold the
  // read transaction, and the reserve slots are never lent.
  const takeSlot = (): number => {
    if (!lendFrom) return -1;
    if (!hashOn) return takeFreeSlot(lendFrom);
    return waitForSlot(hashOn, () => {
      const freed = takeFreeSlot(lendFrom);
      return freed >= 0 ? freed : takeReserveSlot(lendFrom);
    });
  };
  let out: number | undefined;
  const flushes: Promise<void>[] = [];
  try {
    out = fs.openSync(destinationPath, "wx");
    onOpened?.();
    let flushedTo = 0;
    for (let position = 0; position < bytes;) {
      const length = Math.min(COPY_CHUNK_BYTES, bytes - position);
      const slot = takeSlot();
      const chunk =
        slot >= 0
          ? slotBuffer(lendFrom!, slot, length)
          : (own ??= Buffer.allocUnsafeSlow(COPY_CHUNK_BYTES)).subarray(0, length);
      try {
        for (let offset = 0; offset < length;) {
          const read = fs.readSync(sourceFd, chunk, offset, Math.min(PIECE_BYTES, length - offset), position + offset);
          if (read === 0) throw new Error(`the file ends at byte ${position + offset}, before ${bytes}`);
          const piece = chunk.subarray(offset, offset + read);
          if (position === 0 && offset === 0) editFirstChunk?.(piece);
          hash?.update(piece);
          writeAll(out, piece, position + offset);
          offset += read;
        }
        if (slot >= 0 && onLent && isLendable(lendFrom!, slot)) {
          lendSlot(lendFrom!, slot);
          onLent(position, slot, length);
        }
        if (hashOn) queueForHashing(hashOn, lendFrom!, slot, length);
      } finally {
        if (slot >= 0) releaseCopySlot(lendFrom!, slot);
      }
      position += length;
      onCopied?.(position);
      // This thread's reads and writes are synchronous: let its event loop run once a chunk, for
      // the pool's callbacks (warmWal's reads; a flush's end only matters when it is awaited).
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (position - flushedTo >= FLUSH_EVERY_BYTES) {
        flushedTo = position;
        while (flushes.length >= FLUSHES_IN_FLIGHT) await flushes.shift();
        flushes.push(started(fdatasync(out)));
      }
    }
    while (flushes.length > 0) await flushes.shift();
    fs.fsyncSync(out);
    return hashOn ? hashedDigest(hashOn) : hash!.digest("hex");
  } catch (error) {
    if (hashOn) abortHashing(hashOn);
    throw error;
  } finally {
    // Never close the file under a flush still running (its error, if any, is already thrown).
    await Promise.allSettled(flushes);
    if (out !== undefined) fs.closeSync(out);
  }
}

// Writers keep appending to the WAL during the copy, and SQLite reuses a WAL file from its start
// without shrinking it: past the few MB the writers' own checkpoints keep it to, the copy's WAL
// grows over frames an earlier copy left. A frame is a 24-byte header and a page, so its writes
// never cover whole pages of the file, and a page of it no longer in memory is read from disk
// before it is written — from a disk the copy keeps busy. Such pages do leave memory: this VM's
// kernel pages out file pages idle for about a minute (DAMON), as memory pressure would. Measured
// with the benchmark's writer (one commit a millisecond): in one download 11 of its commits took
// 40-220 ms, each waiting in the kernel for such a read (ext4_da_write_begin, in kernel stacks
// from perf). So as the copy starts, the WAL file is read once, all of it, ahead of the writers
// (~28 MB/s of WAL for that writer): in libuv's pool, WAL_WARM_READS_IN_FLIGHT reads at a time,
// so that the pool, which the server's main thread shares, is never all taken by them.
const WAL_WARM_READ_BYTES = 1024 * 1024;
const WAL_WARM_READS_IN_FLIGHT = 2;

async function warmWal(walPath: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(walPath, "r");
  } catch {
    return; // no WAL file: nothing to warm
  }
  try {
    const bytes = fs.fstatSync(fd).size;
    let next = 0;
    // One scratch buffer per lane: the bytes are not used, only brought into memory.
    const lane = async () => {
      const scratch = Buffer.allocUnsafeSlow(WAL_WARM_READ_BYTES);
      while (next < bytes) {
        const position = next;
        next += WAL_WARM_READ_BYTES;
        await readAt(fd, scratch, 0, WAL_WARM_READ_BYTES, position);
      }
    };
    // Every lane ended (a failed read ends its lane only): none reads from the descriptor closed below.
    await Promise.allSettled(Array.from({ length: WAL_WARM_READS_IN_FLIGHT }, lane));
  } finally {
    fs.closeSync(fd);
  }
}

// Method 1 (worker.ts). Writes nothing when it cannot be used, and says why.
async function copyCheckpointedFile(
  sourcePath: string,
  sourceFd: number,
  destinationPath: string,
  busyTimeoutMs: number,
  lendFrom: ChunkPool | undefined,
  hashOn: HashQueue | undefined,
): Promise<{ sha256: string } | { fallbackReason: string }> {
  let reader: Connection | undefined;
  let read: CheckpointedRead;
  try {
    // Read-write: a read-only connection cannot checkpoint (so a read-only mount, or a file this
    // user may not write, falls to the backup API).
    reader = openSource(sourcePath, busyTimeoutMs);
    read = beginCheckpointedRead(reader, sourcePath, busyTimeoutMs);
  } catch (error) {
    read = { fallbackReason: `the file copy could not start: ${messageOf(error)}` };
  }
  if ("fallbackReason" in read) {
    reader?.close();
    return read;
  }
  // Best effort: it only saves the writers time (warmWal).
  const walWarmed = started(warmWal(`${sourcePath}-wal`));
  try {
    const sha256 = await copyBytes(sourceFd, destinationPath, read.bytes, {
      editFirstChunk: markRollbackJournal,
      lendFrom,
      hashOn,
      onLent: (position, slot, length) => emit({ event: "lent", position, slot, length }),
      onOpened: () => emit({ event: "copying", bytes: read.bytes }),
      onCopied: (position) => emit({ event: "copied", position }),
    });
    return { sha256 };
  } finally {
    reader!.exec("COMMIT");
    reader!.close();
    await walWarmed.catch(() => {});
  }
}

// Method 2 (worker.ts).
async function copyWithBackupApi(sourcePath: string, destinationPath: string, busyTimeoutMs: number): Promise<string> {
  const source = openSource(sourcePath, busyTimeoutMs, { readonly: true });
  try {
    // Pages only pass through this connection's cache on their way to the copy: keep it small
    // so the worker's memory does not depend on the database size.
    source.pragma("cache_size = -2048");
    // No mmap_size: mapping the source saves ~10-15% of the copy's system calls, but an I/O
    // error on a mapped page is a SIGBUS that kills the whole server, not a failed backup.
    // better-sqlite3's first step copies 0 pages (it only opens the backup); the number returned
    // from progress() is the page count of every following step: all of them, in one.
    await source.backup(destinationPath, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  // The copy carries the source's WAL flag; see markRollbackJournal.
  const copy = openConnection(destinationPath, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  const fd = fs.openSync(destinationPath, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return sha256File(destinationPath);
}

const tasks: WorkerTasks = {
  async snapshot({ sourcePath, sourceFd, destinationPath, busyTimeoutMs, skipFileCopy, lendFrom, hashOn }) {
    const copied = skipFileCopy
      ? { fallbackReason: skipFileCopy }
      : await copyCheckpointedFile(sourcePath, sourceFd, destinationPath, busyTimeoutMs, lendFrom, hashOn);
    if ("sha256" in copied) return { method: "file-copy", sha256: copied.sha256 };
    // The backup API hashes its copy here, from the file: the hashing thread has nothing to do.
    if (hashOn) abortHashing(hashOn);
    const sha256 = await copyWithBackupApi(sourcePath, destinationPath, busyTimeoutMs);
    return { method: "backup-api", sha256, fallbackReason: copied.fallbackReason };
  },

  async copy({ source, destination, lendFrom, hashOn }) {
    const fd = fs.openSync(source, "r");
    try {
      return await copyBytes(fd, destination, fs.fstatSync(fd).size, { lendFrom, hashOn });
    } finally {
      fs.closeSync(fd);
    }
  },

  async hash({ path }) {
    return sha256File(path);
  },

  async hashChunks({ pool, queue }) {
    try {
      hashQueuedChunks(queue, pool);
    } catch (error) {
      if (!(error instanceof HashingAborted)) throw error; // else the copy's own failure is the one to report
    }
  },

  async check({ path, quick }) {
    const check = quick ? "quick_check" : "integrity_check";
    let db: Connection | undefined;
    try {
      db = openConnection(path, { fileMustExist: true, readonly: true });
      const rows = db.pragma(`${check}(20)`) as Record<string, string>[];
      return { sqlite: true, integrity: rows.map((row) => Object.values(row)[0]!), check };
    } catch (error) {
      return { sqlite: false, integrity: [messageOf(error)], check };
    } finally {
      db?.close();
    }
  },

  async checkParts({ path, extension, parts: given, next }) {
    const db = openConnection(path, { fileMustExist: true, readonly: true });
    const taken = new Int32Array(next);
    const results: PartResult[] = [];
    try {
      // A failed load says nothing of the file (loadCheckFunctions tells the two apart).
      try {
        loadCheckFunctions(db, extension);
      } catch (error) {
        if (!(error instanceof CheckExtensionUnavailable)) throw error;
        return { unavailable: error.message };
      }
      const parts = given ?? planCheck(db);
      try {
        for (let i = Atomics.add(taken, 0, 1); i < parts.length; i = Atomics.add(taken, 0, 1)) {
          results.push(runPart(db, parts[i]!));
        }
      } catch (error) {
        // The other threads stop at their next part: this file is not worth checking further.
        Atomics.store(taken, 0, parts.length);
        throw error;
      }
      return { parts, results };
    } finally {
      db.close();
    }
  },
};

function run(request: WorkerRequest): Promise<unknown> {
  nativeBinding = request.nativeBinding;
  const task = tasks[request.task] as (args: unknown) => Promise<unknown>;
  return task(request.args);
}

const WORKER_NICE = 5;

// Runs only as the worker thread's entry (dist/snapshot-worker.cjs), never when imported for types.
// A worker is started ahead of need and runs one task after another, each sent only once the one
// before has replied (worker.ts).
const startedAs = workerData as { opstageWorker?: boolean; urgent?: boolean } | undefined;
if (parentPort && startedAs?.opstageWorker) {
  // Below the server's main thread: on Linux a thread's nice value is its own (setpriority with
  // pid 0 is the calling thread), so the copy and its hash yield a contended core to the thread
  // that answers the console. Best effort.
  // An urgent worker (worker.ts: a restore, which its operator waits for) keeps the server's own
  // priority: at nice 5 it also yields to every other process on the host, and a restore on a
  // busy host took 5× its copy's time.
  try {
    if (!startedAs.urgent) setPriority(WORKER_NICE);
  } catch {
    // not permitted here: run at the server's own priority
  }
  const port = parentPort;
  port.on("message", (request: WorkerRequest) =>
    run(request).then(
      (result) => port.postMessage({ ok: true, result } satisfies WorkerReply),
      (error: unknown) =>
        port.postMessage({
          ok: false,
          message: messageOf(error),
          code: (error as { code?: string })?.code,
        } satisfies WorkerReply),
    ),
  );
}
