// Facts about the running instance for Settings → Diagnostics and the health check.
import { statSync } from "node:fs";
import type { Config } from "../config";
import type { SqliteDatabase } from "../db/sqlite";
import { migrationsDir } from "../db/paths";
import { readMigrationFiles, type MigrationFile } from "../migrate/files";
import { migrationStatus } from "../migrate/status";
import { litestreamVersion } from "../replication/binary";
import { localReplicationStatus } from "../replication/status";
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
    litestream: litestreamVersion().version ?? `not available (${litestreamVersion().error})`,
    replication: replicationLine(config),
  };
}

export type Diagnostics = ReturnType<typeof collectDiagnostics>;

/** Replication in one line: off, or its state, replica and last error. */
function replicationLine(config: Config): string {
  const status = localReplicationStatus(config);
  if (!status.enabled) return "off (OPSTAGE_REPLICATION)";
  const running = status.running ? `Litestream running (pid ${status.pid})` : "Litestream not running";
  const problem = status.setupError ?? (status.state === "error" ? status.lastError?.message : null);
  return `${status.state}: ${status.replicaLabel}; ${running}${problem ? `; ${problem}` : ""}`;
}
