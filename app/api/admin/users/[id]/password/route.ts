// POST /api/admin/users/{id}/password — { password?: string | null } (owner, session only): sets
// it, or generates one returned in this answer only; ends the user's sessions at once.
import { z } from "zod";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { resetUserPassword } from "@/lib/auth/user-admin";

const body = z.object({ password: z.string().nullable().optional() });

export const POST = guardedRoute<{ id: string }>("owner", async (request, { actor, origin }, { id }) => {
  const input = await parseJsonBody(
    request,
    body,
    "Send { password?: string | null } (no password: one is generated).",
  );
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const { user, generatedPassword } = await resetUserPassword(actor, id, input.password);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.password.reset",
      result: "SUCCESS",
      targetType: "user",
      targetId: user.id,
      origin,
      metadata: { username: user.username, generatedPassword: generatedPassword !== null },
    });
    return Response.json({ user, generatedPassword }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
