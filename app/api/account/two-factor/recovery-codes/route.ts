// POST /api/account/two-factor/recovery-codes — { password }: ten new recovery codes, shown this
// once; the old ones stop working (any role, session only).
import { z } from "zod";
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { newOwnRecoveryCodes } from "@/lib/auth/account";

export const POST = guardedRoute("viewer", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, z.object({ password: z.string() }), "Send { password: string }.");
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const recoveryCodes = await newOwnRecoveryCodes(actor, input.password);
    await auditOwnAccount(actor, origin, "user.2fa.recovery_codes.renewed", { result: "SUCCESS" });
    return Response.json({ recoveryCodes }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
