// POST /api/account/sign-out-everywhere — ends every session of the caller, this one included.
import { guardedRoute } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { signOutEverywhere } from "@/lib/auth/account";
import { auditActorOf } from "@/lib/auth/actor";

export const POST = guardedRoute("viewer", async (_request, { actor, origin }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  await signOutEverywhere(actor);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "user.sessions.ended",
    result: "SUCCESS",
    targetType: "user",
    targetId: actor.user.id,
    origin,
  });
  return Response.json({ signedOut: true });
});
