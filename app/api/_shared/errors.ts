// Errors → HTTP, in one place. Known failures (lib/errors.ts) keep their code and message, with
// the status of their kind; anything else is answered with a generic 500 and logged in full,
// so that internal messages (paths, SQL) never reach a client.
import { randomUUID } from "node:crypto";
import { isKnownError, type FailureKind } from "@/lib/errors";
import { logger } from "@/lib/log";

export type HttpFailure = { status: number; code: string; message: string; headers?: Record<string, string> };

const STATUS_OF_KIND: Record<FailureKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  busy: 409,
  too_large: 413,
  unprocessable: 422,
  no_space: 507,
  unavailable: 503,
  unreachable: 502,
};

/** The generic 500, naming the log record that has the details. */
function internalFailure(requestId: string): HttpFailure {
  return {
    status: 500,
    code: "internal",
    message: `The server could not complete the request; its log has the details (request ${requestId}).`,
    headers: { "X-Request-Id": requestId },
  };
}

/** The answer for `error`; null for an unexpected error (see httpFailureOf). */
export function knownFailureOf(error: unknown): HttpFailure | null {
  if (!isKnownError(error)) return null;
  return {
    status: STATUS_OF_KIND[error.kind],
    code: error.code,
    message: error.message,
    headers: error.retryAfterSeconds ? { "Retry-After": String(error.retryAfterSeconds) } : undefined,
  };
}

/**
 * knownFailureOf; for an unexpected error, logs it in full under `where` with a request id and
 * answers a generic 500 that names that id.
 */
export function httpFailureOf(error: unknown, where: string): HttpFailure {
  const known = knownFailureOf(error);
  if (known) return known;
  const requestId = randomUUID().slice(0, 8);
  logger().error({ err: error, requestId }, `${where} failed`);
  return internalFailure(requestId);
}
