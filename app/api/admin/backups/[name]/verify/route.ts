// POST /api/admin/backups/{name}/verify — operator (the file stays on the server). Checksum, integrity, restorability.
import { guardedRoute } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { verifyBackup } from "@/lib/backup/verify";
import { getConfig } from "@/lib/config";
import { shippedMigrations } from "@/lib/system/diagnostics";

export const POST = guardedRoute<{ name: string }>(
  BACKUP_PERMISSIONS.verify,
  async (_request, { actor, origin }, { name }) => {
    const verification = await verifyBackup(getConfig().backupDir, name, shippedMigrations());
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.verified",
      result: verification.restorable ? "SUCCESS" : "FAILURE",
      targetType: "backup",
      targetId: name,
      message: verification.detail,
      origin,
      metadata: { state: verification.state },
    });
    return Response.json(verification);
  },
);
