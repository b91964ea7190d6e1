// What Diagnostics shows about upgrades, restores and which stored backups this build can start on.
import type { BackupEntry } from "../backup/catalog";
import { listBackups } from "../backup/catalog";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import type { MigrationFile } from "../migrate/files";

export type Restorability = "restorable" | "newer" | "not restorable" | "not verified";

/** From the last verification when there is one, else from the migration the manifest records. */
export function restorabilityOf(entry: BackupEntry, shipped: MigrationFile[]): Restorability {
  if (entry.verification) {
    if (entry.verification.restorable) return "restorable";
    return entry.verification.state === "newer" ? "newer" : "not restorable";
  }
  if (!entry.lastMigration) return "not verified";
  return shipped.some((file) => file.name === entry.lastMigration) ? "restorable" : "newer";
}

export async function lifecycleFacts(config: Config, shipped: MigrationFile[]) {
  const backups = listBackups(config.backupDir);
  const history = await getPrisma().upgradeHistory.findMany({ orderBy: { startedAt: "desc" }, take: 20 });
  return {
    upgrades: history.map((row) => ({
      fromVersion: row.fromVersion,
      toVersion: row.toVersion,
      migrations: JSON.parse(row.migrationsJson) as string[],
      snapshotName: row.snapshotName,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt.toISOString(),
    })),
    newestPreUpgrade: backups.find((entry) => entry.kind === "pre-upgrade")?.name ?? null,
    newestPreRestore: backups.find((entry) => entry.kind === "pre-restore")?.name ?? null,
    backups: backups.map((entry) => ({
      name: entry.name,
      kind: entry.kind,
      createdAt: entry.createdAt,
      restorability: restorabilityOf(entry, shipped),
    })),
  };
}
