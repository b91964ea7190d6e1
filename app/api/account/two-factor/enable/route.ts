// POST /api/account/two-factor/enable — { code }: a current code from the authenticator being set
// up turns the second factor on (any role, session only; open before enrolment). Answers the ten
// recovery codes, shown this once.
import { z } from "zod";
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { confirmEnrolment } from "@/lib/auth/two-factor";

export const POST = guardedRoute(
  "viewer",
  async (request, { actor, origin }) => {
    const input = await parseJsonBody(request, z.object({ code: z.string() }), "Send { code: string }.");
    const refused = refuseTokens(actor);
    if (refused) return refused;
    try {
      const recoveryCodes = await confirmEnrolment(actor.user.id, input.code);
      await auditOwnAccount(actor, origin, "user.2fa.enabled", { result: "SUCCESS" });
      return Response.json({ enabled: true, recoveryCodes }, { headers: { "Cache-Control": "no-store" } });
    } catch (error) {
      if (error instanceof Error && error.name === "TwoFactorError") {
        await auditOwnAccount(actor, origin, "user.2fa.enabled", { result: "FAILURE", message: error.message });
      }
      return knownFailureResponse(error);
    }
  },
  { beforeTwoFactorEnrolment: true },
);
