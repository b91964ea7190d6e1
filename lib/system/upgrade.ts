// Migrations on start, made safe to get wrong:
// - a database from a newer Opstage (unknown migration, or a newer recorded version) is refused
//   before anything is written to it, with both versions and the way back;
// - before pending migrations touch a database that holds data, a `pre-upgrade` snapshot is
//   stored; if a migration fails (rolled back), the message names it and that snapshot;
// - an upgrade is recorded in UpgradeHistory and audited as system.upgraded.
import path from "node:path";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { listBackups } from "../backup/catalog";
import { createBackup, type CreatedBackup } from "../backup/create";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import type { SqliteDatabase } from "../db/sqlite";
import { applyPendingMigrations } from "../migrate/apply";
import { lastRecordedVersion, recordVersion } from "../migrate/app-version";
import type { MigrationFile } from "../migrate/files";
import { assertStartable } from "../migrate/startable";
import { MigrationError, type MigrationStatus } from "../migrate/status";

function wayBack(config: Config): string {
  const newest = listBackups(config.backupDir).find((entry) => entry.kind === "pre-upgrade");
  const hint = newest ? ` The newest pre-upgrade snapshot is ${path.join(config.backupDir, newest.name)}.` : "";
  return `Run the newer Opstage image again, or restore a backup made by this version or an older one.${hint}`;
}

/** Throws, writing nothing, when `appVersion` cannot start on the database; says the way back. */
export function refuseNewerDatabase(
  db: SqliteDatabase,
  files: MigrationFile[],
  appVersion: string,
  config: Config,
): MigrationStatus {
  try {
    return assertStartable(db, files, appVersion);
  } catch (error) {
    if (error instanceof MigrationError && error.problem === "unknown") {
      throw new MigrationError("unknown", `${error.message} ${wayBack(config)}`, error.migrationName);
    }
    throw error;
  }
}

export type UpgradeOutcome = { applied: string[]; status: MigrationStatus; snapshot: CreatedBackup | null };

export async function migrateOnStart(
  db: SqliteDatabase,
  files: MigrationFile[],
  appVersion: string,
  config: Config,
  log: (message: string) => void,
): Promise<UpgradeOutcome> {
  const before = refuseNewerDatabase(db, files, appVersion, config);
  const fromVersion = lastRecordedVersion(db);
  const holdsData = before.applied.length > 0;

  let snapshot: CreatedBackup | null = null;
  if (before.pending.length > 0 && holdsData) {
    snapshot = await createBackup({
      databasePath: config.databasePath,
      backupDir: config.backupDir,
      kind: "pre-upgrade",
      label: `pre-upgrade-${fromVersion ?? "unknown"}-to-${appVersion}`.toLowerCase().replace(/[^a-z0-9._-]/g, "_"),
      actor: { ...SYSTEM_ACTOR, label: "upgrade" },
    });
    log(`stored the pre-upgrade snapshot ${snapshot.path}`);
  }

  const startedAt = new Date();
  let result;
  try {
    result = applyPendingMigrations(db, files, (name) => log(`applied migration ${name}`));
  } catch (error) {
    if (error instanceof MigrationError && snapshot) {
      throw new MigrationError(
        error.problem,
        `${error.message} Opstage did not start. The database as it was before this upgrade is in ${snapshot.path}; ` +
          `fix the cause and start again, or restore that snapshot and run the previous version.`,
        error.migrationName,
      );
    }
    throw error;
  }
  recordVersion(db, appVersion);

  if (holdsData && result.applied.length > 0) {
    await getPrisma().upgradeHistory.create({
      data: {
        fromVersion,
        toVersion: appVersion,
        migrationsJson: JSON.stringify(result.applied),
        snapshotName: snapshot?.name ?? null,
        startedAt,
        finishedAt: new Date(),
      },
    });
    await recordAuditSafely({
      actor: SYSTEM_ACTOR,
      action: "system.upgraded",
      result: "SUCCESS",
      targetType: "database",
      targetId: "opstage.db",
      message: `${fromVersion ?? "unknown"} → ${appVersion}`,
      metadata: { fromVersion, toVersion: appVersion, migrations: result.applied, snapshot: snapshot?.name ?? null },
    });
  }
  return { applied: result.applied, status: result.status, snapshot };
}
