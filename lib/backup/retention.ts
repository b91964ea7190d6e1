// Keeps the newest `keep` scheduled backups and deletes older ones. Only `scheduled` backups are
// ever deleted automatically: manual, pre-upgrade, pre-restore and external ones stay until an
// owner deletes them.
import { deleteBackup, listBackups } from "./catalog";

export function applyRetention(backupDir: string, keep: number): string[] {
  const scheduled = listBackups(backupDir).filter((entry) => entry.kind === "scheduled");
  const doomed = scheduled.slice(Math.max(0, keep));
  for (const entry of doomed) deleteBackup(backupDir, entry.name);
  return doomed.map((entry) => entry.name);
}
