// GET    /api/account/two-factor — is the caller's second factor on, how many recovery codes are
//        left, and must they have one (any role, session only; open before enrolment).
// DELETE /api/account/two-factor — { password }: turns it off, unless OPSTAGE_REQUIRE_2FA asks it
//        of the caller's role.
import { z } from "zod";
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { turnOffOwnTwoFactor } from "@/lib/auth/account";
import { twoFactorStatus } from "@/lib/auth/two-factor";
import { twoFactorRequired } from "@/lib/auth/two-factor-policy";
import { getConfig } from "@/lib/config";

export const GET = guardedRoute(
  "viewer",
  async (_request, { actor }) => {
    const refused = refuseTokens(actor);
    if (refused) return refused;
    const status = await twoFactorStatus(actor.user.id);
    const required = twoFactorRequired(getConfig().requireTwoFactor, actor.user.role);
    return Response.json({ ...status, required }, { headers: { "Cache-Control": "no-store" } });
  },
  { beforeTwoFactorEnrolment: true },
);

export const DELETE = guardedRoute("viewer", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, z.object({ password: z.string() }), "Send { password: string }.");
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    await turnOffOwnTwoFactor(actor, input.password);
  } catch (error) {
    if (error instanceof Error && "status" in error) {
      await auditOwnAccount(actor, origin, "user.2fa.disabled", { result: "FAILURE", message: error.message });
    }
    return knownFailureResponse(error);
  }
  await auditOwnAccount(actor, origin, "user.2fa.disabled", { result: "SUCCESS" });
  return Response.json({ enabled: false });
});
