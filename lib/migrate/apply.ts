// Applies pending migrations at start, one transaction per migration file, so a migration that
// fails leaves the database exactly as it was before that file (Prisma's own engine does not wrap
// migrations in a transaction on SQLite, and a failure there leaves a half-applied schema).
import type { SqliteDatabase } from "../db/sqlite";
import type { MigrationFile } from "./files";
import { ensureMigrationsTable, insertAppliedRow } from "./history";
import { MigrationError, migrationStatus, type MigrationStatus } from "./status";

type ForeignKeyViolation = { table: string; rowid: number | null; parent: string; fkid: number };

function applyOne(db: SqliteDatabase, files: MigrationFile[], file: MigrationFile): boolean {
  // Prisma's table-rebuild migrations (CREATE new_X, copy, DROP X, rename) say
  // `PRAGMA foreign_keys=OFF` themselves, but SQLite ignores that PRAGMA inside a transaction:
  // DROP TABLE would then cascade-delete every child row. So foreign keys are switched off here,
  // before BEGIN, and the result is checked with foreign_key_check before COMMIT instead.
  db.pragma("foreign_keys = OFF");
  try {
    const startedAt = new Date();
    // IMMEDIATE takes the write lock now, so two processes starting at once (server and CLI)
    // cannot both apply the same file: the second re-reads the status under the lock.
    db.exec("BEGIN IMMEDIATE");
    try {
      const stillPending = migrationStatus(db, files).pending.some((p) => p.name === file.name);
      if (!stillPending) {
        db.exec("ROLLBACK");
        return false;
      }
      db.exec(file.sql);
      const violations = db.pragma("foreign_key_check") as ForeignKeyViolation[];
      if (violations.length > 0) {
        const first = violations[0]!;
        throw new Error(
          `it leaves ${violations.length} row(s) violating foreign keys (first: ${first.table} rowid ${first.rowid} → ${first.parent})`,
        );
      }
      insertAppliedRow(db, file.name, file.checksum, startedAt);
      db.exec("COMMIT");
      return true;
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      "apply",
      `Migration ${file.name} failed and was rolled back; the database is unchanged by it: ${reason}`,
      file.name,
    );
  } finally {
    db.pragma("foreign_keys = ON");
  }
}

/**
 * Brings the database up to `files`. Refuses (MigrationError) on a failed, modified or unknown
 * migration before writing anything. Returns the names applied, in order.
 */
export function applyPendingMigrations(
  db: SqliteDatabase,
  files: MigrationFile[],
  onApplied: (name: string) => void = () => {},
): { applied: string[]; status: MigrationStatus } {
  const before = migrationStatus(db, files);
  const applied: string[] = [];
  if (before.pending.length > 0) {
    ensureMigrationsTable(db);
    for (const file of before.pending) {
      if (applyOne(db, files, file)) {
        applied.push(file.name);
        onApplied(file.name);
      }
    }
  }
  return { applied, status: applied.length > 0 ? migrationStatus(db, files) : before };
}
