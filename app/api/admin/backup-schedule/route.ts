// PUT /api/admin/backup-schedule — owner. Body: { cron: string | null, keep: number }.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getScheduler } from "@/lib/backup/schedule";
import { getConfig } from "@/lib/config";

const body = z.object({ cron: z.string().max(200).nullable(), keep: z.number().int() });

export const PUT = guardedRoute(BACKUP_PERMISSIONS.schedule, async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, "Send { cron: string | null, keep: number }.");
  const status = await getScheduler(getConfig()).update(input);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "backup.schedule.updated",
    result: "SUCCESS",
    targetType: "setting",
    targetId: "backup.schedule",
    origin,
    metadata: { cron: status.cron, keep: status.keep },
  });
  return Response.json(status);
});
