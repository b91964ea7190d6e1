// What Diagnostics shows about upgrades, restores and which stored backups this build can start on.
import { listBackups } from "../backup/catalog";
import { verdictOf } from "../backup/verdict";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import type { MigrationFile } from "../migrate/files";

export async function lifecycleFacts(config: Config, shipped: MigrationFile[]) {
  const backups = listBackups(config.backupDir);
  const known = shipped.map((file) => file.name);
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
      verdict: verdictOf(entry, known),
    })),
  };
}
