// GET /api/admin/audit/retention — { days: number | null } (any role).
// PUT /api/admin/audit/retention — { days: 1-36500 | null } (owner): saved, applied at once, audited.
import { z } from "zod";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { applyAuditRetention, getAuditRetentionDays, setAuditRetentionDays } from "@/lib/audit/retention";
import { auditActorOf } from "@/lib/auth/actor";

export const GET = guardedRoute("viewer", async () => Response.json({ days: await getAuditRetentionDays() }));

export const PUT = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(
    request,
    z.object({ days: z.number().nullable() }),
    "Send { days: 1-36500 } to keep audit events that many days, or { days: null } to keep them forever.",
  );
  try {
    const { from, to } = await setAuditRetentionDays(actor, input.days);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "audit.retention.changed",
      result: "SUCCESS",
      targetType: "setting",
      targetId: "audit.retentionDays",
      origin,
      metadata: { from, to },
    });
    const deleted = await applyAuditRetention(auditActorOf(actor), origin);
    return Response.json({ days: to, deleted });
  } catch (error) {
    if (error instanceof Error && error.name === "RetentionError")
      return jsonError(400, "invalid_input", error.message);
    throw error;
  }
});
