// Backups into the backup folder that someone asked for — the console's download and "Back up
// now", API tokens, the schedule, the CLI's `backup` — go through here, so each is audited the
// same way: backup.sqlite.created or backup.sqlite.failed. The snapshots the app takes for itself
// (pre-upgrade, pre-restore) are audited with the upgrade and the restore they belong to, and the
// CLI's `backup --out FILE` (outside the folder) audits its own outcome. Here, above lib/backup
// and lib/offsite, because it queues both the proof and the offsite copy; the scheduler, in
// lib/backup, is handed it at start (service-list.ts).
import { recordAuditSafely, type AuditActor, type RequestOrigin } from "../audit/record";
import { createBackup, type CopyObserver, type CreatedBackup, type CreateBackupOptions } from "../backup/create";
import { queueBackupProof } from "../backup/proof";
import type { Config } from "../config";
import { logger } from "../log";
import { queueOffsiteCopy, recordCopyDue } from "../offsite/queue";

export async function createAuditedBackup(input: {
  config: Pick<Config, "databasePath" | "backupDir" | "offsite">;
  kind: CreateBackupOptions["kind"];
  actor: AuditActor;
  actorLabel: string;
  origin?: RequestOrigin;
  label?: string;
  observer?: CopyObserver;
}): Promise<CreatedBackup> {
  try {
    const backup = await createBackup({
      databasePath: input.config.databasePath,
      backupDir: input.config.backupDir,
      kind: input.kind,
      label: input.label,
      observer: input.observer,
      actor: { type: input.actor.type, id: input.actor.id, label: input.actorLabel },
    });
    await recordAuditSafely({
      actor: input.actor,
      action: "backup.sqlite.created",
      result: "SUCCESS",
      targetType: "backup",
      targetId: backup.name,
      origin: input.origin,
      metadata: {
        filename: backup.name,
        bytes: backup.bytes,
        durationMs: backup.durationMs,
        snapshotMethod: backup.snapshotMethod,
        snapshotFallbackReason: backup.snapshotFallbackReason,
        kind: backup.kind,
        by: input.actorLabel,
      },
    });
    // In the background, each in its own lane: the backup is done whatever happens to its
    // offsite copy and its proof, and neither waits for the other. The manifest (no verification
    // yet) and the copy state are what a crash leaves: the reconciler (lib/background) queues
    // both again at the next start.
    const copy = { config: input.config, name: backup.name, kind: backup.kind };
    await recordCopyDue(copy);
    queueOffsiteCopy(copy);
    queueBackupProof({ backupDir: input.config.backupDir, name: backup.name, how: "after-backup" });
    return backup;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger().error({ kind: input.kind }, `${input.kind} backup failed: ${reason}`);
    await recordAuditSafely({
      actor: input.actor,
      action: "backup.sqlite.failed",
      result: "FAILURE",
      targetType: "database",
      targetId: "opstage.db",
      message: reason,
      origin: input.origin,
      metadata: { kind: input.kind, by: input.actorLabel },
    });
    throw error;
  }
}
