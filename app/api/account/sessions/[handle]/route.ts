// DELETE /api/account/sessions/{handle} — ends one of the caller's sessions (any role, session
// only); that browser's next request is refused. Ending this browser's own is signing out.
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { endOwnSession } from "@/lib/auth/account";

export const DELETE = guardedRoute<{ handle: string }>("viewer", async (_request, { actor, origin }, { handle }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const ended = await endOwnSession(actor, handle);
    await auditOwnAccount(actor, origin, "user.session.ended", {
      result: "SUCCESS",
      metadata: { session: handle, browser: ended.browser, own: true, current: ended.id === actor.session?.id },
    });
    return Response.json({ ended: true, current: ended.id === actor.session?.id });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
