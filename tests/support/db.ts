import Database from "better-sqlite3";

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
