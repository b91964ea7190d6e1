// GET    /api/admin/users/{id}/sessions — a user's live sessions (owner, session only).
// DELETE /api/admin/users/{id}/sessions — ends all of them (owner, session only).
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { endUserSessions, listUserSessions } from "@/lib/auth/user-admin";

export const GET = guardedRoute<{ id: string }>("owner", async (_request, { actor }, { id }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const { sessions } = await listUserSessions(actor, id);
    return Response.json(sessions, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return knownFailureResponse(error);
  }
});

export const DELETE = guardedRoute<{ id: string }>("owner", async (_request, { actor, origin }, { id }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const { user, ended } = await endUserSessions(actor, id);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.sessions.ended",
      result: "SUCCESS",
      targetType: "user",
      targetId: user.id,
      origin,
      metadata: { username: user.username, ended },
    });
    return Response.json({ ended });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
