// What the Backups page shows: the stored backups and the schedule.
import type { Config } from "../config";
import { readCopyState } from "../offsite/copy-state";
import { loadOffsiteTarget } from "../offsite/target";
import { listBackups } from "./catalog";
import { getScheduler } from "./schedule";

export async function backupsOverview(config: Config) {
  return {
    backupDir: config.backupDir,
    backups: listBackups(config.backupDir).map((entry) => ({
      ...entry,
      offsite: readCopyState(config.backupDir, entry.name),
    })),
    offsiteConfigured: await loadOffsiteTarget(config).then(
      (target) => target !== null,
      () => false,
    ),
    schedule: await getScheduler(config).status(),
  };
}

export type BackupsOverview = Awaited<ReturnType<typeof backupsOverview>>;
