// POST /api/admin/backups/{name}/offsite-retry — owner. "Retry now" on an offsite copy that failed
// for good: the copy starts over in the background with a full set of attempts (202), its state
// shown in the backup list. 409 when there is no failed copy to retry.
import { guardedRoute } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { retryFailedCopy } from "@/lib/offsite/queue";

export const POST = guardedRoute<{ name: string }>(
  BACKUP_PERMISSIONS.offsite,
  async (_request, { actor, origin }, { name }) => {
    const state = await retryFailedCopy(getConfig(), name);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.offsite.retried",
      result: "SUCCESS",
      targetType: "backup",
      targetId: name,
      origin,
    });
    return Response.json(state, { status: 202 });
  },
);
