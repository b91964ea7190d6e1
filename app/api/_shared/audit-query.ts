// The audit log's query string → filter, with one 400 for anything malformed.
import { jsonError } from "./http";

/** The answer for an AuditQueryError (bad filter or cursor); rethrows anything else. */
export function auditQueryFailure(error: unknown): Response {
  if (error instanceof Error && error.name === "AuditQueryError") return jsonError(400, "invalid_input", error.message);
  throw error;
}
