// GET   /api/account — the caller's own account (any role).
// PATCH /api/account — { displayName } (session only).
import { z } from "zod";
import { auditOwnAccount } from "@/app/api/_shared/account-audit";
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { changeOwnDisplayName, getAccount } from "@/lib/auth/account";

const NO_STORE = { "Cache-Control": "no-store" };

export const GET = guardedRoute("viewer", async (_request, { actor }) => {
  try {
    return Response.json(await getAccount(actor), { headers: NO_STORE });
  } catch (error) {
    return knownFailureResponse(error);
  }
});

export const PATCH = guardedRoute("viewer", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, z.object({ displayName: z.string() }), "Send { displayName: string }.");
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const account = await changeOwnDisplayName(actor, input.displayName);
    await auditOwnAccount(actor, origin, "user.displayName.changed", {
      result: "SUCCESS",
      metadata: { from: actor.user.displayName, to: account.displayName },
    });
    return Response.json(account, { headers: NO_STORE });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
