// One process owns a data dir at a time: the server for its whole life, or the restore CLI while
// it swaps files. The lock is an exclusive SQLite lock on `${dataDir}/.opstage.lock`: the OS
// releases it when the process ends in any way (kill -9 included), so it can never go stale the
// way a pid file can, and a second owner learns at once (busy_timeout 0) that it is taken.
import Database from "better-sqlite3";
import path from "node:path";
import { processSingleton } from "../process-singleton";

export class DataDirLockedError extends Error {
  constructor(dataDir: string) {
    super(
      `${dataDir} is in use by another Opstage process (a running server, or a restore in progress). ` +
        `Stop the server first (docker compose stop opstage), then try again.`,
    );
    this.name = "DataDirLockedError";
  }
}

export type DataDirLock = { release: () => void };

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const db = new Database(path.join(dataDir, ".opstage.lock"));
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("locking_mode = EXCLUSIVE");
    // Nothing is ever written to this file: keep the (empty) transaction's journal in memory, so
    // no `.opstage.lock-journal` is left in the data dir when the process ends.
    db.pragma("journal_mode = MEMORY");
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") throw new DataDirLockedError(dataDir);
    throw error;
  }
  return {
    release: () => {
      if (!db.open) return;
      db.exec("ROLLBACK");
      db.close();
    },
  };
}

/** Taken by the server at start and held until the process exits. */
export function holdDataDirLockForProcess(dataDir: string): void {
  processSingleton("data-dir-lock", () => acquireDataDirLock(dataDir));
}
