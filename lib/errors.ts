// Failures the app expects and can explain to whoever asked: each says what kind of failure it is
// and carries a stable code. The HTTP edge maps the kind to a status in one place
// (app/api/_shared/errors.ts); the CLI prints the message and exits 1. Any other error is
// unexpected: its message goes to the log only, never to a client.
//
// Recognised by a field, not instanceof: Next bundles each route (and instrumentation, which runs
// the scheduler) separately, so an error thrown in one bundle is an instance of another copy of
// its class.
export type FailureKind =
  | "invalid" // the request cannot be done as asked; asking again the same way will not help
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict" // the state of things does not allow it now (a name taken, a restore running)
  | "busy" // try again shortly
  | "too_large"
  | "unprocessable" // well-formed, but not what it must be (an upload that is not a backup)
  | "no_space"
  | "unavailable" // the database is being replaced
  | "unreachable"; // a server this one depends on (the offsite bucket) did not answer as it should

export class KnownError extends Error {
  readonly known = true;
  constructor(
    readonly kind: FailureKind,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function isKnownError(error: unknown): error is KnownError {
  return (
    error instanceof Error &&
    (error as Partial<KnownError>).known === true &&
    typeof (error as Partial<KnownError>).kind === "string"
  );
}
