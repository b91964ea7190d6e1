// POST /api/account/two-factor/recovery-codes — { password }: ten new recovery codes, shown this
// once; the old ones stop working (any role, session only).
import { z } from "zod";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { newOwnRecoveryCodes } from "@/lib/auth/account";
import { auditActorOf } from "@/lib/auth/actor";

export const POST = guardedRoute("viewer", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, z.object({ password: z.string() }), "Send { password: string }.");
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const recoveryCodes = await newOwnRecoveryCodes(actor, input.password);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.2fa.recovery_codes.renewed",
      result: "SUCCESS",
      targetType: "user",
      targetId: actor.user.id,
      origin,
    });
    return Response.json({ recoveryCodes }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
