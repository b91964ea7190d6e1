// What the Backups page shows: the stored backups and the schedule.
import type { Config } from "../config";
import { listBackups } from "./catalog";
import { getScheduler } from "./schedule";

export async function backupsOverview(config: Config) {
  return {
    backupDir: config.backupDir,
    backups: listBackups(config.backupDir),
    schedule: await getScheduler(config).status(),
  };
}

export type BackupsOverview = Awaited<ReturnType<typeof backupsOverview>>;
