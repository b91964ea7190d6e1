// POST /api/account/sessions/end-others — ends every session of the caller but this browser's
// (any role, session only).
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { endOwnOtherSessions } from "@/lib/auth/account";

export const POST = guardedRoute("viewer", async (_request, { actor, origin }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  const ended = await endOwnOtherSessions(actor);
  await auditOwnAccount(actor, origin, "user.sessions.ended.others", { result: "SUCCESS", metadata: { ended } });
  return Response.json({ ended });
});
