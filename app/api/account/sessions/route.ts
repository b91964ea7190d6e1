// GET /api/account/sessions — the caller's live sessions (any role, session only): browser and
// system from the user agent, address, signed in, last seen, and which one is this browser.
import { guardedRoute } from "@/app/api/_shared/http";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { listOwnSessions } from "@/lib/auth/account";

export const GET = guardedRoute("viewer", async (_request, { actor }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  return Response.json(await listOwnSessions(actor), { headers: { "Cache-Control": "no-store" } });
});
