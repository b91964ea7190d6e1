// Errors → HTTP, in one place. Known failures (lib/errors.ts) keep their code and message, with
// the status of their kind; anything else is answered with a generic 500 and logged in full,
// so that internal messages (paths, SQL) never reach a client.
import { isKnownError, type FailureKind } from "@/lib/errors";

export type HttpFailure = { status: number; code: string; message: string; headers?: Record<string, string> };

const STATUS_OF_KIND: Record<FailureKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  busy: 409,
  too_large: 413,
  unprocessable: 422,
  no_space: 507,
  unavailable: 503,
};

export const INTERNAL_FAILURE: HttpFailure = {
  status: 500,
  code: "internal",
  message: "The server could not complete the request; see its log.",
};

/** The answer for `error`; null for an unexpected error (answer INTERNAL_FAILURE and log it). */
export function knownFailureOf(error: unknown): HttpFailure | null {
  if (!isKnownError(error)) return null;
  return {
    status: STATUS_OF_KIND[error.kind],
    code: error.code,
    message: error.message,
    headers: error.retryAfterSeconds ? { "Retry-After": String(error.retryAfterSeconds) } : undefined,
  };
}

/** knownFailureOf, logging an unexpected error under `where` and answering a generic 500 for it. */
export function httpFailureOf(error: unknown, where: string): HttpFailure {
  const known = knownFailureOf(error);
  if (known) return known;
  console.error(`[opstage] ${where} failed:`, error);
  return INTERNAL_FAILURE;
}
