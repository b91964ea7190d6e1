// How refused account changes look over HTTP. Recognised by name, not instanceof: each route is
// bundled separately, so an error can be an instance of another copy of its class.
import { jsonError } from "./http";
import type { Actor } from "@/lib/auth/require-role";

/** The answer for a UserAdminError or AuthError thrown by lib/auth; rethrows anything else. */
export function userFailureResponse(error: unknown): Response {
  if (error instanceof Error && (error.name === "UserAdminError" || error.name === "AuthError")) {
    const { status, code } = error as Error & { status: number; code: string };
    return jsonError(status, code, error.message);
  }
  throw error;
}

/** Account and user management act for a person at a browser, never for a script's token. */
export function refuseTokens(actor: Actor): Response | null {
  if (!actor.token) return null;
  return jsonError(403, "session_required", "API tokens cannot manage accounts; sign in to the console.");
}
