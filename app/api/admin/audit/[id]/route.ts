// GET /api/admin/audit/{id} — one event (any role; a viewer only their own).
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { getAuditEvent } from "@/lib/audit/log";

export const GET = guardedRoute<{ id: string }>("viewer", async (_request, { actor }, { id }) => {
  const event = await getAuditEvent(actor, id);
  if (!event) return jsonError(404, "not_found", "No such audit event (or it is not yours to see).");
  return Response.json(event, { headers: { "Cache-Control": "no-store" } });
});
