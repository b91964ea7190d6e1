// What the Backups page shows: the stored backups (each with its verdict, lib/backup/verdict.ts,
// its proof under way and its offsite copy's state), the schedule, and the server's time zone
// (the schedule runs in it). Here, above lib/backup and lib/offsite, because it reads both.
import { listBackups, type BackupEntry } from "../backup/catalog";
import { environmentalFailureAt, proofQueued } from "../backup/proof";
import { getScheduler } from "../backup/schedule";
import { verdictOf } from "../backup/verdict";
import type { Config } from "../config";
import type { MigrationFile } from "../migrate/files";
import { readCopyState } from "../offsite/copy-state";
import { loadOffsiteTarget } from "../offsite/target";

function backupRowOf(config: Config, entry: BackupEntry, known: string[]) {
  return {
    ...entry,
    verdict: verdictOf(entry, known),
    // The proof as the reconciler sees it (this process's lane): queued or running, or stopped
    // by the host (disk full, I/O error) and to be tried again.
    proof: proofQueued(config.backupDir, entry.name)
      ? ("queued" as const)
      : environmentalFailureAt(config.backupDir, entry.name) !== null
        ? ("could not run" as const)
        : null,
    offsite: readCopyState(config.backupDir, entry.name),
  };
}

/** One stored backup as the Backups page lists it (for a restore dialog opened elsewhere); null when gone. */
export function backupRow(config: Config, shipped: MigrationFile[], name: string) {
  const entry = listBackups(config.backupDir).find((backup) => backup.name === name);
  return entry
    ? backupRowOf(
        config,
        entry,
        shipped.map((file) => file.name),
      )
    : null;
}

export async function backupsOverview(config: Config, shipped: MigrationFile[]) {
  const known = shipped.map((file) => file.name);
  return {
    backupDir: config.backupDir,
    serverTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    backups: listBackups(config.backupDir).map((entry) => backupRowOf(config, entry, known)),
    offsiteConfigured: await loadOffsiteTarget(config).then(
      (target) => target !== null,
      () => false,
    ),
    schedule: await getScheduler(config).status(),
  };
}

export type BackupsOverview = Awaited<ReturnType<typeof backupsOverview>>;
