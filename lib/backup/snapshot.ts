// A consistent online snapshot of a live SQLite database with SQLite's backup API, run in a
// worker thread with its own connection.
//
// Why one step: sqlite3_backup_step() copies N pages at a time, and when another connection
// writes to the source between two steps the backup starts over. better-sqlite3's default (100
// pages a step) therefore never finishes while Prisma's connection commits every millisecond or
// so. Copying every page in a single step holds one read transaction for the whole copy; in WAL
// mode a reader does not block writers, so they keep committing to the -wal meanwhile.
//
// Why a worker: that single step is synchronous C code. On the main thread it would block the
// event loop for its whole duration (~2 s per GB here) and every other request would stall.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { findAppPath } from "../db/paths";

// The worker runs from source text (eval) rather than a file, because after Next's bundling there
// is no stable file path for a worker script. It loads better-sqlite3 by absolute path, resolved
// in the main thread, for the same reason.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.betterSqlite3Path);
(async () => {
  const source = new Database(workerData.sourcePath, { fileMustExist: true, readonly: true });
  try {
    source.pragma("busy_timeout = " + workerData.busyTimeoutMs);
    // better-sqlite3's first step copies 0 pages (it only opens the backup); the number returned
    // from progress() is the page count of every following step: all of them, in one.
    await source.backup(workerData.destinationPath, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  parentPort.postMessage({ ok: true });
})().catch((error) => parentPort.postMessage({ ok: false, message: String(error && error.message || error) }));
`;

function betterSqlite3Path(): string {
  const packageJson = findAppPath("node_modules/better-sqlite3/package.json");
  return createRequire(packageJson).resolve("better-sqlite3");
}

/** Writes a consistent copy of `sourcePath` to `destinationPath` (which must not exist). */
export function snapshotDatabase(sourcePath: string, destinationPath: string, busyTimeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sourcePath, destinationPath, busyTimeoutMs, betterSqlite3Path: betterSqlite3Path() },
    });
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve();
    };
    worker.once("message", (message: { ok: boolean; message?: string }) =>
      settle(message.ok ? undefined : new Error(`snapshot failed: ${message.message}`)),
    );
    worker.once("error", (error) => settle(error));
    worker.once("exit", (code) => settle(new Error(`snapshot worker exited with code ${code}`)));
  });
}
