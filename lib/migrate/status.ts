// Compares what the database records with the migrations this build ships, and refuses the
// cases in which migrating would corrupt data or hide a problem.
import type { SqliteDatabase } from "../db/sqlite";
import type { MigrationFile } from "./files";
import { readMigrationRows, type MigrationRow } from "./history";

export type MigrationStatus = {
  applied: MigrationRow[];
  pending: MigrationFile[];
  latestApplied: string | null;
};

export type MigrationProblem = "failed" | "modified" | "unknown" | "foreign";

export class MigrationError extends Error {
  constructor(
    readonly problem: MigrationProblem | "apply",
    message: string,
    readonly migrationName?: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

// A database with tables but no migration history is not one of ours (a wrong file put in
// place of opstage.db): creating Opstage's tables inside it would mix two applications' data.
function refuseForeignDatabase(db: SqliteDatabase): void {
  const table = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' LIMIT 1",
    )
    .get() as { name: string } | undefined;
  if (table) {
    throw new MigrationError(
      "foreign",
      `The database holds tables (e.g. "${table.name}") but no Opstage migration history: it is not ` +
        `an Opstage database. Nothing was written to it. Put an Opstage backup in its place.`,
    );
  }
}

/**
 * The database's migration status against `files`. Throws MigrationError when:
 * - a migration is recorded as failed (finished_at and rolled_back_at both NULL): the database
 *   may hold half of it, and applying more on top would build on an unknown state;
 * - an applied migration's file changed since (checksum differs): this build's idea of the
 *   schema is not what the database holds;
 * - the database records a migration this build does not ship: it was migrated by a newer
 *   Opstage; an older build must not write to it.
 * Rows with rolled_back_at set were undone by `prisma migrate resolve` and are ignored.
 */
export function migrationStatus(db: SqliteDatabase, files: MigrationFile[]): MigrationStatus {
  const rows = readMigrationRows(db).filter((row) => row.rolled_back_at === null);
  if (rows.length === 0) refuseForeignDatabase(db);
  const byName = new Map(files.map((file) => [file.name, file]));

  const failed = rows.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationError(
      "failed",
      `Migration ${failed.migration_name} is recorded as failed (started ${failed.started_at}). ` +
        `The database may be partly migrated. Restore the backup taken before the upgrade ` +
        `(Settings → Diagnostics, or the newest backup in the backups folder) and start again.`,
      failed.migration_name,
    );
  }

  const unknown = rows.filter((row) => !byName.has(row.migration_name));
  if (unknown.length > 0) {
    const names = unknown.map((row) => row.migration_name).join(", ");
    throw new MigrationError(
      "unknown",
      `This database was migrated by a newer Opstage version: it records migration(s) ${names}, ` +
        `which this build does not know. Running a newer database on an older Opstage is ` +
        `unsupported and nothing was written to it. Run the newer Opstage image again, or ` +
        `restore a backup made by this version or an older one.`,
      unknown[0]!.migration_name,
    );
  }

  for (const row of rows) {
    const file = byName.get(row.migration_name)!;
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        "modified",
        `Migration ${row.migration_name} was changed after it was applied to this database ` +
          `(checksum ${row.checksum.slice(0, 12)}… recorded, ${file.checksum.slice(0, 12)}… in this build). ` +
          `Applied migrations must never be edited: restore the original migration.sql.`,
        row.migration_name,
      );
    }
  }

  const appliedNames = new Set(rows.map((row) => row.migration_name));
  const pending = files.filter((file) => !appliedNames.has(file.name));
  const latestApplied = files.filter((file) => appliedNames.has(file.name)).at(-1)?.name ?? null;
  return { applied: rows, pending, latestApplied };
}
