// DELETE /api/admin/tokens/{id} — revoke (owner).
import { guardedRoute } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { revokeApiToken } from "@/lib/auth/api-tokens";
import { auditActorOf } from "@/lib/auth/require-role";

export const DELETE = guardedRoute<{ id: string }>("owner", async (_request, { actor, origin }, { id }) => {
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
