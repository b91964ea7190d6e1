// POST /api/account/two-factor/enrolment — starts setting up a second factor (any role, session
// only; open before enrolment): a new TOTP secret, as text and as a QR code for the
// authenticator app. Nothing changes at sign-in until it is confirmed (../enable).
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { startEnrolment } from "@/lib/auth/two-factor";

export const POST = guardedRoute(
  "viewer",
  async (_request, { actor, origin }) => {
    const refused = refuseTokens(actor);
    if (refused) return refused;
    try {
      const enrolment = await startEnrolment(actor.user.id, actor.user.username);
      await auditOwnAccount(actor, origin, "user.2fa.enrolment.started", { result: "SUCCESS" });
      return Response.json(enrolment, { headers: { "Cache-Control": "no-store" } });
    } catch (error) {
      return knownFailureResponse(error);
    }
  },
  { beforeTwoFactorEnrolment: true },
);
