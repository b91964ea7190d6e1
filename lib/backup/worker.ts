// Runs SQLite work that takes seconds per GB — the snapshot copy, hashing, integrity_check — in
// a worker thread with its own connection, so the server's event loop keeps answering requests.
//
// Why one step for the snapshot: sqlite3_backup_step() copies N pages at a time, and when another
// connection writes to the source between two steps the backup starts over. better-sqlite3's
// default (100 pages a step) therefore never finishes while Prisma's connection commits every
// millisecond or so. Copying every page in a single step holds one read transaction for the whole
// copy; in WAL mode a reader does not block writers, so they keep committing meanwhile.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { findAppPath } from "../db/paths";

// The worker runs from source text (eval) rather than a file, because after Next's bundling there
// is no stable file path for a worker script. It loads better-sqlite3 by absolute path, resolved
// in the main thread, for the same reason.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const Database = require(workerData.betterSqlite3Path);

function sha256File(file) {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const fd = fs.openSync(file, "r");
  try {
    let read;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

function appliedMigrations(db) {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
  if (!table) return [];
  return db
    .prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name")
    .all()
    .map((row) => row.migration_name);
}

const tasks = {
  async snapshot({ sourcePath, destinationPath, busyTimeoutMs }) {
    const source = new Database(sourcePath, { fileMustExist: true, readonly: true });
    try {
      source.pragma("busy_timeout = " + busyTimeoutMs);
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
    // The copy carries the source's WAL flag in its header. A backup must be one self-contained
    // file that opens read-only without creating -wal/-shm files beside it: rollback-journal mode.
    const copy = new Database(destinationPath, { fileMustExist: true });
    let migrations;
    try {
      copy.pragma("journal_mode = DELETE");
      migrations = appliedMigrations(copy);
    } finally {
      copy.close();
    }
    // fsync here, not on the main thread: for a large file it can take a while.
    const fd = fs.openSync(destinationPath, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return { migrations };
  },

  async hash({ path }) {
    return sha256File(path);
  },

  async inspect({ path }) {
    const sha256 = sha256File(path);
    let db;
    try {
      db = new Database(path, { fileMustExist: true, readonly: true });
      const integrity = db.pragma("integrity_check(20)").map((row) => row.integrity_check);
      return { sha256, sqlite: true, integrity, migrations: integrity[0] === "ok" ? appliedMigrations(db) : [] };
    } catch (error) {
      return { sha256, sqlite: false, integrity: [String(error && error.message || error)], migrations: [] };
    } finally {
      if (db) db.close();
    }
  },
};

tasks[workerData.task](workerData.args).then(
  (result) => parentPort.postMessage({ ok: true, result }),
  (error) => parentPort.postMessage({ ok: false, message: String(error && error.message || error) }),
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
    worker.once("message", (message: { ok: boolean; result?: T; message?: string }) =>
      settle(message.ok ? null : new Error(`${task} failed: ${message.message}`), message.result),
    );
    worker.once("error", (error) => settle(error));
    worker.once("exit", (code) => settle(new Error(`${task} worker exited with code ${code}`)));
  });
}

export type SnapshotResult = { migrations: string[] };

/**
 * Writes a consistent copy of the live database at `sourcePath` to `destinationPath` (a new
 * file), in rollback-journal mode and fsync'ed. Returns the migrations the copy records.
 */
export function snapshotDatabase(sourcePath: string, destinationPath: string, busyTimeoutMs = 5000) {
  return runTask<SnapshotResult>("snapshot", { sourcePath, destinationPath, busyTimeoutMs });
}

/** The sha256 (hex) of a file, computed off the main thread. */
export function hashFile(path: string) {
  return runTask<string>("hash", { path });
}

export type InspectionResult = { sha256: string; sqlite: boolean; integrity: string[]; migrations: string[] };

/** Hashes a file and, read-only, checks whether it is a sound SQLite database and what it records. */
export function inspectDatabaseFile(path: string) {
  return runTask<InspectionResult>("inspect", { path });
}
