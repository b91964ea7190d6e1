// POST /api/admin/restore/notice — owner. Body: { eventId }: dismisses the console's banner about
// the restore audited as eventId (kept as a setting, so it stays dismissed after a restart; a
// later restore shows its own banner).
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { dismissRestoreNotice } from "@/lib/system/restore-aftermath";

const body = z.object({ eventId: z.string().min(1).max(64) });

export const POST = guardedRoute(BACKUP_PERMISSIONS.restore, async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, "Send { eventId: <the restore's audit event id> }.");
  await dismissRestoreNotice(input.eventId);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "backup.restore-notice.dismissed",
    result: "SUCCESS",
    targetType: "audit",
    targetId: input.eventId,
    origin,
  });
  return Response.json({ eventId: input.eventId, status: "dismissed" });
});
