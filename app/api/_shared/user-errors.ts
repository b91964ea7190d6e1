// Account routes: API tokens are refused (refused changes answer through knownFailureResponse).
import { jsonError } from "./http";
import type { Actor } from "@/lib/auth/actor";

/** Account and user management act for a person at a browser, never for a script's token. */
export function refuseTokens(actor: Actor): Response | null {
  if (!actor.token) return null;
  return jsonError(403, "session_required", "API tokens cannot manage accounts; sign in to the console.");
}
