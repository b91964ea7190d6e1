// DELETE /api/admin/tokens/{id} — revoke (owner, session only).
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { revokeApiToken } from "@/lib/auth/api-tokens";
import { auditActorOf } from "@/lib/auth/actor";

export const DELETE = guardedRoute<{ id: string }>("owner", async (_request, { actor, origin }, { id }) => {
  if (actor.token) return jsonError(403, "session_required", "API tokens cannot revoke API tokens; sign in.");
  const token = await revokeApiToken(id);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "token.revoked",
    result: "SUCCESS",
    targetType: "token",
    targetId: token.id,
    origin,
    metadata: { name: token.name },
  });
  return Response.json({ id: token.id, status: "revoked" });
});
