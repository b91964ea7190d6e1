// The code that runs inside the inspect worker thread: every read of a backup (or of the live
// database, for a comparison) happens here, on a connection of its own opened read-only
// (better-sqlite3 `readonly` + `fileMustExist`, and PRAGMA query_only), never through the
// server's connections, and masked before it leaves (secrets.ts). Bundled on its own by
// scripts/build-worker.mjs into dist/inspect-worker.cjs.
import { statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { compareAttached } from "./compare";
import { assertOpstageDatabase, domainView, listTables, readRows, type Db } from "./read";
import type { BackupContents, CompareProgress, Comparison, DomainView, RowsPage } from "./types";

export type InspectTasks = {
  contents: (args: { path: string; sizes: boolean }) => BackupContents;
  rows: (args: { path: string; table: string; after: string | null; limit: number }) => RowsPage;
  domain: (args: { path: string }) => DomainView;
  compare: (args: { from: string; to: string; labels: { from: string; to: string } }) => Comparison;
};

export type InspectRequest = {
  [K in keyof InspectTasks]: { task: K; args: Parameters<InspectTasks[K]>[0]; nativeBinding?: string };
}[keyof InspectTasks];
export type InspectReply =
  { ok: true; result: unknown } | { ok: false; message: string; code?: string } | { progress: CompareProgress };

/** Page cache per file: bounded, so a comparison's memory stays flat (SQLite's default is 2 MB). */
const CACHE_KIB = 16 * 1024;

let nativeBinding: string | undefined;

function openReadOnly(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
  db.pragma("query_only = ON");
  db.pragma(`cache_size = -${CACHE_KIB}`);
  return db;
}

function withFile<T>(path: string, fn: (db: Db) => T): T {
  const db = openReadOnly(path);
  try {
    assertOpstageDatabase(db);
    return fn(db);
  } finally {
    db.close();
  }
}

let report: (progress: CompareProgress) => void = () => {};

const tasks: InspectTasks = {
  contents: ({ path, sizes }) => withFile(path, (db) => listTables(db, statSync(path).size, sizes)),
  rows: ({ path, table, after, limit }) => withFile(path, (db) => readRows(db, table, after, limit)),
  domain: ({ path }) => withFile(path, (db) => domainView(db)),
  compare: ({ from, to, labels }) =>
    withFile(from, (db) => {
      // ATTACH opens the file with the main connection's flags: read-only as well.
      db.prepare("ATTACH DATABASE ? AS other").run(to);
      db.pragma(`other.cache_size = -${CACHE_KIB}`);
      try {
        assertOpstageDatabase(db, "other");
      } catch (error) {
        // Say which side is refused: the caller verifies that file to explain why.
        throw Object.assign(error as Error, { side: "to" });
      }
      return compareAttached(db, labels, (progress) => report(progress));
    }),
};

// Runs only as the worker thread's entry, never when imported for types.
if (parentPort && (workerData as { opstageInspectWorker?: boolean } | undefined)?.opstageInspectWorker) {
  const port = parentPort;
  report = (progress) => port.postMessage({ progress } satisfies InspectReply);
  port.on("message", (request: InspectRequest) => {
    nativeBinding = request.nativeBinding;
    try {
      const task = tasks[request.task] as (args: unknown) => unknown;
      port.postMessage({ ok: true, result: task(request.args) } satisfies InspectReply);
    } catch (error) {
      const e = error as { message?: string; code?: string; side?: string };
      port.postMessage({
        ok: false,
        message: e.message ?? String(error),
        code: e.side === "to" ? `${e.code ?? "ERROR"}:to` : e.code,
      } satisfies InspectReply);
    }
  });
}
