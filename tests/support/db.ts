import path from "node:path";
import Database from "better-sqlite3";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "./migrations";
import { tempDir } from "./temp";

/** Opens a SQLite file read-only and returns integrity_check's verdict ("ok" when sound). */
export function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma("integrity_check", { simple: true }));
  } finally {
    db.close();
  }
}

export function queryOne<T>(file: string, sql: string, ...params: unknown[]): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).get(...params) as T;
  } finally {
    db.close();
  }
}

export const SQLITE_MAGIC = "SQLite format 3\0";

/** A WAL-mode database of about `megabytes` (rows of 4000 random bytes), checkpointed, with its connection closed. */
export function fillerDatabase(megabytes: number): string {
  const file = path.join(tempDir(), "opstage.db");
  const db = openDatabase(file);
  enableWal(db);
  db.exec("CREATE TABLE filler (n INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO filler (payload) VALUES (randomblob(4000))");
  db.transaction(() => {
    for (let i = 0; i < megabytes * 256; i++) insert.run();
  })();
  db.close();
  return file;
}

/** Runs one writing statement on a SQLite file (the running server's too: WAL lets both write). */
export function execute(file: string, sql: string, ...params: unknown[]): number {
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
}

/**
 * Adds `megabytes` of 1 MB rows to an existing database (a stopped server's), in a table of the
 * test's own that Opstage ignores; the file stays in WAL mode.
 */
export function growDatabase(file: string, megabytes: number): void {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = DELETE");
    db.pragma("synchronous = OFF");
    db.exec("CREATE TABLE LargeFill (id INTEGER PRIMARY KEY, data BLOB)");
    const insert = db.prepare("INSERT INTO LargeFill (data) VALUES (randomblob(1048576))");
    db.transaction(() => {
      for (let i = 0; i < megabytes; i++) insert.run();
    })();
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
}

/** A fresh data dir whose opstage.db has every shipped migration and about `megabytes` of rows. */
export function dataDirWithDatabase(megabytes: number): string {
  const dataDir = tempDir();
  const file = path.join(dataDir, "opstage.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  db.close();
  growDatabase(file, megabytes);
  return dataDir;
}
