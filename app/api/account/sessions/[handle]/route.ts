// DELETE /api/account/sessions/{handle} — ends one of the caller's sessions (any role, session
// only); that browser's next request is refused. Ending this browser's own is signing out.
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { endOwnSession } from "@/lib/auth/account";
import { auditActorOf } from "@/lib/auth/actor";

export const DELETE = guardedRoute<{ handle: string }>("viewer", async (_request, { actor, origin }, { handle }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const ended = await endOwnSession(actor, handle);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.session.ended",
      result: "SUCCESS",
      targetType: "user",
      targetId: actor.user.id,
      origin,
      metadata: { session: handle, browser: ended.browser, own: true, current: ended.id === actor.session?.id },
    });
    return Response.json({ ended: true, current: ended.id === actor.session?.id });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
