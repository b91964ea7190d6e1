// POST /api/account/sessions/end-others — ends every session of the caller but this browser's
// (any role, session only).
import { guardedRoute } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { endOwnOtherSessions } from "@/lib/auth/account";
import { auditActorOf } from "@/lib/auth/actor";

export const POST = guardedRoute("viewer", async (_request, { actor, origin }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  const ended = await endOwnOtherSessions(actor);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "user.sessions.ended.others",
    result: "SUCCESS",
    targetType: "user",
    targetId: actor.user.id,
    origin,
    metadata: { ended },
  });
  return Response.json({ ended });
});
