// Prisma Migrate's bookkeeping table, read and written exactly as Prisma does, so a database
// migrated here is accepted by `prisma migrate status/deploy` and the other way round.
import { randomUUID } from "node:crypto";
import type { SqliteDatabase } from "../db/sqlite";

// Prisma's own DDL for SQLite, verbatim.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);`;

export type MigrationRow = {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: string;
  finished_at: string | null;
  rolled_back_at: string | null;
  logs: string | null;
};

/** Prisma's timestamp format in this table: RFC 3339 with an explicit +00:00 offset. */
function prismaTimestamp(date = new Date()): string {
  return date.toISOString().replace("Z", "+00:00");
}

export function hasMigrationsTable(db: SqliteDatabase): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get() !== undefined
  );
}

export function ensureMigrationsTable(db: SqliteDatabase): void {
  db.exec(CREATE_MIGRATIONS_TABLE);
}

/** Every row, oldest first. An empty list when the table does not exist (a new database). */
export function readMigrationRows(db: SqliteDatabase): MigrationRow[] {
  if (!hasMigrationsTable(db)) return [];
  return db
    .prepare(
      `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs
         FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
    )
    .all() as MigrationRow[];
}

/** Records a migration as applied; called inside the migration's own transaction. */
export function insertAppliedRow(db: SqliteDatabase, name: string, checksum: string, startedAt: Date): void {
  db.prepare(
    `INSERT INTO "_prisma_migrations"
       (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
     VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
  ).run(randomUUID(), checksum, prismaTimestamp(), name, prismaTimestamp(startedAt));
}
