// POST /api/account/password — { currentPassword, newPassword } (any role, session only). Ends
// every other session of the caller; this browser gets a re-issued cookie and stays signed in.
import { z } from "zod";
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { reissuedSessionCookie } from "@/app/api/_shared/session-cookie";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { changeOwnPassword } from "@/lib/auth/account";

const body = z.object({ currentPassword: z.string(), newPassword: z.string() });

export const POST = guardedRoute("viewer", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, "Send { currentPassword: string, newPassword: string }.");
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const session = await changeOwnPassword(actor, input.currentPassword, input.newPassword, origin);
    await auditOwnAccount(actor, origin, "user.password.changed", { result: "SUCCESS" });
    const headers = new Headers({ "Cache-Control": "no-store" });
    const cookie = session && (await reissuedSessionCookie(request, session.id));
    if (cookie) headers.append("Set-Cookie", cookie);
    return Response.json({ changed: true, otherSessionsEnded: true }, { headers });
  } catch (error) {
    if (error instanceof Error && error.name === "UserAdminError") {
      await auditOwnAccount(actor, origin, "user.password.changed", { result: "FAILURE", message: error.message });
    }
    return knownFailureResponse(error);
  }
});
