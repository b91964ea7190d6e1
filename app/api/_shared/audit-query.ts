// The audit log's query string → filter: a malformed one (AuditQueryError) answers 400 through the
// one error mapper (errors.ts); anything unexpected is rethrown to guardedRoute, which logs it.
import { knownFailureOf } from "./errors";
import { failureResponse } from "./http";

/** The answer for a known failure (a bad filter or cursor); rethrows anything else. */
export function auditQueryFailure(error: unknown): Response {
  const known = knownFailureOf(error);
  if (known) return failureResponse(known);
  throw error;
}
