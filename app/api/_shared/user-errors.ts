// Account routes: a refused change answers with its status and code through the one error
// mapper (errors.ts); anything unexpected is rethrown to guardedRoute, which logs it.
import { knownFailureOf } from "./errors";
import { failureResponse, jsonError } from "./http";
import type { Actor } from "@/lib/auth/require-role";

/** The answer for a known failure (UserAdminError, AuthError, …) thrown by lib/auth; rethrows anything else. */
export function userFailureResponse(error: unknown): Response {
  const known = knownFailureOf(error);
  if (known) return failureResponse(known);
  throw error;
}

/** Account and user management act for a person at a browser, never for a script's token. */
export function refuseTokens(actor: Actor): Response | null {
  if (!actor.token) return null;
  return jsonError(403, "session_required", "API tokens cannot manage accounts; sign in to the console.");
}
