// Facts about the running instance for Settings → Diagnostics and the health check.
import { statSync } from "node:fs";
import type { Config } from "../config";
import type { SqliteDatabase } from "../db/sqlite";
import { migrationsDir } from "../db/paths";
import { readMigrationFiles, type MigrationFile } from "../migrate/files";
import { migrationStatus } from "../migrate/status";
import { versionInfo } from "../version";

function fileSize(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

// The migrations shipped with this build do not change while it runs: read them once.
let shipped: MigrationFile[] | undefined;
export function shippedMigrations(): MigrationFile[] {
  shipped ??= readMigrationFiles(migrationsDir());
  return shipped;
}

export type MigrationSummary = { applied: number; pending: number; latest: string | null; error: string | null };

export function migrationSummary(db: SqliteDatabase): MigrationSummary {
  try {
    const status = migrationStatus(db, shippedMigrations());
    return {
      applied: status.applied.length,
      pending: status.pending.length,
      latest: status.latestApplied,
      error: null,
    };
  } catch (error) {
    return { applied: 0, pending: 0, latest: null, error: error instanceof Error ? error.message : String(error) };
  }
}

export function collectDiagnostics(config: Config, db: SqliteDatabase) {
  const { sqlite } = db.prepare("SELECT sqlite_version() AS sqlite").get() as { sqlite: string };
  return {
    ...versionInfo(config),
    node: process.version,
    sqlite,
    dataDir: config.dataDir,
    backupDir: config.backupDir,
    databaseBytes: fileSize(config.databasePath),
    walBytes: fileSize(`${config.databasePath}-wal`),
    journalMode: String(db.pragma("journal_mode", { simple: true })),
    migrations: migrationSummary(db),
  };
}

export type Diagnostics = ReturnType<typeof collectDiagnostics>;
