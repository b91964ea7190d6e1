// DELETE /api/admin/users/{id}/sessions/{handle} — ends one session of a user (owner, session
// only); that browser's next request is refused.
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { endUserSession } from "@/lib/auth/user-admin";

export const DELETE = guardedRoute<{ id: string; handle: string }>(
  "owner",
  async (_request, { actor, origin }, { id, handle }) => {
    const refused = refuseTokens(actor);
    if (refused) return refused;
    try {
      const { user, session } = await endUserSession(actor, id, handle);
      await recordAuditSafely({
        actor: auditActorOf(actor),
        action: "user.session.ended",
        result: "SUCCESS",
        targetType: "user",
        targetId: user.id,
        origin,
        metadata: { username: user.username, session: handle, browser: session.browser, own: false },
      });
      return Response.json({ ended: true });
    } catch (error) {
      return knownFailureResponse(error);
    }
  },
);
