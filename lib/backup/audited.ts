// Every way of making a backup (console, API token, schedule, CLI) goes through here, so every
// one of them is audited the same way: backup.sqlite.created or backup.sqlite.failed.
import { recordAuditSafely, type AuditActor, type RequestOrigin } from "../audit/record";
import type { Config } from "../config";
import { queueOffsiteCopy } from "../offsite/queue";
import { createBackup, type CreatedBackup, type CreateBackupOptions } from "./create";

export async function createAuditedBackup(input: {
  config: Pick<Config, "databasePath" | "backupDir" | "offsite">;
  kind: CreateBackupOptions["kind"];
  actor: AuditActor;
  actorLabel: string;
  origin?: RequestOrigin;
  label?: string;
}): Promise<CreatedBackup> {
  try {
    const backup = await createBackup({
      databasePath: input.config.databasePath,
      backupDir: input.config.backupDir,
      kind: input.kind,
      label: input.label,
      actor: { type: input.actor.type, id: input.actor.id, label: input.actorLabel },
    });
    await recordAuditSafely({
      actor: input.actor,
      action: "backup.sqlite.created",
      result: "SUCCESS",
      targetType: "backup",
      targetId: backup.name,
      origin: input.origin,
      metadata: { filename: backup.name, bytes: backup.bytes, durationMs: backup.durationMs, snapshotMethod: backup.snapshotMethod, kind: backup.kind, by: input.actorLabel },
    });
    // In the background: the backup is done whatever happens to its offsite copy.
    queueOffsiteCopy({ config: input.config, name: backup.name, kind: backup.kind });
    return backup;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`[opstage] ${input.kind} backup failed: ${reason}`);
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
