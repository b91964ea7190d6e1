// Runs SQLite work that takes seconds per GB — the snapshot copy, hashing, integrity_check — in
// a worker thread with its own connections, so the server's event loop keeps answering requests.
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
//    To know that our snapshot is the file's content, the last checkpoint and the start of our
//    read happen while a second connection holds the write lock (about a millisecond when nothing
//    else is checkpointing; the bulk of the checkpoint runs before, with writers committing).
//
// 2. SQLite's online backup API, when (1) cannot get a fully checkpointed snapshot: the database
//    is not in WAL mode, or an older reader or another checkpoint holds WAL frames back.
//    sqlite3_backup_step() copies N pages at a time, and when another connection writes to the
//    source between two steps the backup starts over; better-sqlite3's default (100 pages a step)
//    therefore never finishes while Prisma's connection commits every millisecond or so. Copying
//    every page in a single step holds one read transaction for the whole copy; in WAL mode a
//    reader does not block writers, so they keep committing meanwhile.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { databaseFileDescriptor } from "../db/database-file";
import { findAppPath } from "../db/paths";

// The worker runs from source text (eval) rather than a file, because after Next's bundling there
// is no stable file path for a worker script. It loads better-sqlite3 by absolute path, resolved
// in the main thread, for the same reason.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const fdatasync = require("node:util").promisify(fs.fdatasync);
const Database = require(workerData.betterSqlite3Path);

function sha256File(file) {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const fd = fs.openSync(file, "r");
  try {
    let read;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

// The write-locked checkpoint (see beginCheckpointedRead) waits at most LOCKED_WAIT_MS for
// another connection's checkpoint or an older reader to finish, holding writers back meanwhile;
// then it lets them through for RETRY_PAUSE_MS and tries again, ATTEMPTS times in all.
const LOCKED_WAIT_MS = 50;
const RETRY_PAUSE_MS = 20;
const ATTEMPTS = 5;
const COPY_CHUNK_BYTES = 8 * 1024 * 1024;
// The copy is flushed to disk every this many bytes rather than once at the end. On ext4
// (data=ordered) any process's fsync commits the filesystem journal, which first writes out the
// data of newly allocated blocks — ours included. With a whole GB of the copy dirty in memory, the
// writers' own commit fsyncs waited ~400 ms behind it (measured). Each flush runs in the thread
// pool while the next chunks are copied, one at a time: at most two of these are ever dirty, and
// the copy does not wait for the disk any more than with one flush at the end.
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function openSource(sourcePath, busyTimeoutMs, options) {
  const db = new Database(sourcePath, { fileMustExist: true, ...options });
  db.pragma("busy_timeout = " + busyTimeoutMs);
  return db;
}

// Bytes 18 and 19 of an SQLite file's header are its write and read format versions: 2 in WAL
// mode, 1 in rollback-journal mode, and that is all that distinguishes the two on disk. A backup
// must be one self-contained file that opens read-only without creating -wal/-shm files beside
// it, so the copy of a WAL-mode database is marked rollback-journal as its first chunk passes:
// the bytes hashed (and, later, sent) are then exactly the bytes stored.
function markRollbackJournal(firstChunk) {
  if (firstChunk.length >= 20 && firstChunk[18] === 2 && firstChunk[19] === 2) {
    firstChunk[18] = 1;
    firstChunk[19] = 1;
  }
}

// Method 1 (see the top of worker.ts). Returns null, having written nothing, when it cannot be
// used; the backup API then takes over (and reports the error, if there is one). Else the sha256
// of the copy.
async function copyCheckpointedFile(sourcePath, sourceFd, destinationPath, busyTimeoutMs) {
  let reader;
  let bytes = null;
  try {
    // Read-write: a read-only connection cannot checkpoint (so a read-only mount, or a file this
    // user may not write, falls to the backup API).
    reader = openSource(sourcePath, busyTimeoutMs);
    bytes = beginCheckpointedRead(reader, sourcePath, busyTimeoutMs);
  } catch {
    bytes = null;
  }
  if (bytes === null) {
    if (reader) reader.close();
    return null;
  }
  try {
    return await copyBytes(sourceFd, destinationPath, bytes, markRollbackJournal);
  } finally {
    reader.exec("COMMIT");
    reader.close();
  }
}

// Starts a read transaction on the reader whose snapshot is exactly the database file's content
// and returns the length of that content, or null when the WAL could not be emptied into the file.
function beginCheckpointedRead(reader, sourcePath, busyTimeoutMs) {
  if (reader.pragma("journal_mode", { simple: true }) !== "wal") return null;
  const writeLock = openSource(sourcePath, busyTimeoutMs);
  try {
    // The bulk of the WAL, with writers still committing. PASSIVE: never waits for anyone.
    reader.pragma("wal_checkpoint(PASSIVE)");
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) sleepSync(RETRY_PAUSE_MS);
      // No commit can land between the checkpoint and the start of our read while we hold this.
      // (A write transaction longer than the busy timeout throws: the backup API then does it.)
      writeLock.exec("BEGIN IMMEDIATE");
      try {
        const deadline = Date.now() + LOCKED_WAIT_MS;
        for (;;) {
          const [result] = reader.pragma("wal_checkpoint(PASSIVE)");
          if (result.busy === 0 && result.log === result.checkpointed) {
            reader.exec("BEGIN");
            // The first read starts the read transaction; it lasts until COMMIT.
            return reader.pragma("page_count", { simple: true }) * reader.pragma("page_size", { simple: true });
          }
          // busy: another connection is checkpointing (SQLite does not wait for that, even with a
          // busy timeout). log > checkpointed: a reader with an older snapshot keeps the rest of
          // the WAL out of the file. Both end within milliseconds, and no new commit can start
          // another checkpoint while we hold the write lock.
          if (Date.now() >= deadline) break;
          sleepSync(1);
        }
      } finally {
        writeLock.exec("ROLLBACK");
      }
    }
    return null;
  } finally {
    writeLock.close();
  }
}

// Copies the first \`bytes\` bytes of sourceFd into a new file (never an existing one), hashing
// them on the way, flushing as it goes and fsync'ing at the end. Returns the sha256 (hex).
// editFirstChunk may change the first chunk before it is written and hashed.
async function copyBytes(sourceFd, destinationPath, bytes, editFirstChunk) {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const out = fs.openSync(destinationPath, "wx");
  let flushing = Promise.resolve();
  try {
    let position = 0;
    while (position < bytes) {
      const read = fs.readSync(sourceFd, buffer, 0, Math.min(buffer.length, bytes - position), position);
      if (read === 0) throw new Error("the file ends at byte " + position + ", before " + bytes);
      if (position === 0 && editFirstChunk) editFirstChunk(buffer.subarray(0, read));
      for (let written = 0; written < read; ) written += fs.writeSync(out, buffer, written, read - written);
      hash.update(buffer.subarray(0, read));
      position += read;
      if (position % FLUSH_EVERY_BYTES === 0) {
        await flushing;
        flushing = fdatasync(out);
      }
    }
    await flushing;
    fs.fsyncSync(out);
  } finally {
    // Never close the file under a flush still running (its error, if any, is already thrown).
    await flushing.catch(() => {});
    fs.closeSync(out);
  }
  return hash.digest("hex");
}

// Method 2 (see the top of worker.ts).
async function copyWithBackupApi(sourcePath, destinationPath, busyTimeoutMs) {
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
  const copy = new Database(destinationPath, { fileMustExist: true });
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

const tasks = {
  async snapshot({ sourcePath, sourceFd, destinationPath, busyTimeoutMs }) {
    const copied = await copyCheckpointedFile(sourcePath, sourceFd, destinationPath, busyTimeoutMs);
    if (copied !== null) return { method: "file-copy", sha256: copied };
    return { method: "backup-api", sha256: await copyWithBackupApi(sourcePath, destinationPath, busyTimeoutMs) };
  },

  async copy({ source, destination }) {
    const fd = fs.openSync(source, "r");
    try {
      return await copyBytes(fd, destination, fs.fstatSync(fd).size, null);
    } finally {
      fs.closeSync(fd);
    }
  },

  async hash({ path }) {
    return sha256File(path);
  },

  async check({ path }) {
    let db;
    try {
      db = new Database(path, { fileMustExist: true, readonly: true });
      return { sqlite: true, integrity: db.pragma("integrity_check(20)").map((row) => row.integrity_check) };
    } catch (error) {
      return { sqlite: false, integrity: [String(error && error.message || error)] };
    } finally {
      if (db) db.close();
    }
  },
};

tasks[workerData.task](workerData.args).then(
  (result) => parentPort.postMessage({ ok: true, result }),
  (error) => parentPort.postMessage({ ok: false, message: String(error && error.message || error), code: error && error.code }),
);
`;

function betterSqlite3Path(): string {
  const packageJson = findAppPath("node_modules/better-sqlite3/package.json");
  return createRequire(packageJson).resolve("better-sqlite3");
}

function runTask<T>(task: string, args: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { task, args, betterSqlite3Path: betterSqlite3Path() },
    });
    let settled = false;
    const settle = (error: Error | null, result?: T) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve(result as T);
    };
    worker.once("message", (message: { ok: boolean; result?: T; message?: string; code?: string }) =>
      settle(message.ok ? null : Object.assign(new Error(`${task} failed: ${message.message}`), { code: message.code }), message.result),
    );
    worker.once("error", (error) => settle(error));
    worker.once("exit", (code) => settle(new Error(`${task} worker exited with code ${code}`)));
  });
}

export type SnapshotMethod = "file-copy" | "backup-api";
export type SnapshotResult = { method: SnapshotMethod; sha256: string };

/**
 * Writes a consistent copy of the live database at `sourcePath` to `destinationPath` (a new
 * file), in rollback-journal mode and fsync'ed. Returns which way it was taken (see the top of
 * this file) and the copy's sha256, computed as it was written.
 */
export function snapshotDatabase(sourcePath: string, destinationPath: string, busyTimeoutMs = 5000) {
  let sourceFd: number;
  try {
    sourceFd = databaseFileDescriptor(sourcePath);
  } catch (error) {
    return Promise.reject(new Error(`snapshot failed: ${(error as Error).message}`));
  }
  return runTask<SnapshotResult>("snapshot", { sourcePath, sourceFd, destinationPath, busyTimeoutMs });
}

/** Copies a file into a new one (never overwriting), fsync'ed, hashing it on the way; returns the sha256. */
export function copyFileHashed(source: string, destination: string) {
  return runTask<string>("copy", { source, destination });
}

/** The sha256 (hex) of a file, computed off the main thread. */
export function hashFile(path: string) {
  return runTask<string>("hash", { path });
}

export type IntegrityResult = { sqlite: boolean; integrity: string[] };

/** Opens a file read-only and runs integrity_check on it, off the main thread. */
export function checkIntegrity(path: string) {
  return runTask<IntegrityResult>("check", { path });
}
