// POST /api/account/sign-out-everywhere — ends every session of the caller, this one included.
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { signOutEverywhere } from "@/lib/auth/account";

export const POST = guardedRoute("viewer", async (_request, { actor, origin }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  await signOutEverywhere(actor);
  await auditOwnAccount(actor, origin, "user.sessions.ended", { result: "SUCCESS" });
  return Response.json({ signedOut: true });
});
