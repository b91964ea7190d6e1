// Keeps the newest `keep` backups of one kind and deletes older ones. Only `scheduled` backups
// (by the schedule's own count) and `pre-restore` ones (restore.ts keeps the newest few) are ever
// deleted automatically: manual, pre-upgrade and external ones stay until an owner deletes them.
import { deleteBackup, listBackups } from "./catalog";
import type { BackupKind } from "./manifest";

export function applyRetention(
  backupDir: string,
  keep: number,
  kind: Extract<BackupKind, "scheduled" | "pre-restore"> = "scheduled",
): string[] {
  const ofKind = listBackups(backupDir).filter((entry) => entry.kind === kind);
  const doomed = ofKind.slice(Math.max(0, keep));
  for (const entry of doomed) deleteBackup(backupDir, entry.name);
  return doomed.map((entry) => entry.name);
}
