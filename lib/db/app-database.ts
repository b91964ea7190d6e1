// The server's own raw SQLite handle (migrations, diagnostics, health, the checkpoint at exit),
// one per process, beside Prisma's connection. Synchronous uses only: a caller must not keep the
// handle across an await, since a restore may close it and open the new file in between.
import { getConfig } from "../config";
import { processSingleton } from "../process-singleton";
import { assertNoExclusiveLease, insideLease } from "./lease";
import { openDatabase, type SqliteDatabase } from "./sqlite";

// One per process (process-singleton.ts); closed and reopened across a restore.
const handle = () => processSingleton<{ db: SqliteDatabase | null }>("app-database", () => ({ db: null }));

/** The handle; throws MaintenanceError while a restore holds the database (runtime.ts). */
export function getAppDatabase(): SqliteDatabase {
  assertNoExclusiveLease();
  return openedHandle();
}

/**
 * The handle for a flow that holds a lease (withSharedLease): a restore cannot swap the file
 * before that lease is released, so a restore waiting to start is no reason to refuse.
 */
export function getAppDatabaseInLease(): SqliteDatabase {
  if (!insideLease()) throw new Error("getAppDatabaseInLease() outside a lease");
  return openedHandle();
}

/** The handle, opened on the current database file when there is none (or a restore closed it). */
function openedHandle(): SqliteDatabase {
  const h = handle();
  if (!h.db?.open) h.db = openDatabase(getConfig().databasePath);
  return h.db;
}

/** Checkpoints the WAL into the main file and closes the handle. Synchronous: safe in 'exit'. */
export function closeAppDatabase(checkpoint: (db: SqliteDatabase) => boolean): boolean {
  const h = handle();
  const db = h.db;
  if (!db?.open) return true;
  let complete = false;
  try {
    complete = checkpoint(db);
  } finally {
    db.close();
    h.db = null;
  }
  return complete;
}
