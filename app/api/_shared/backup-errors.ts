// How backup failures look over HTTP. Only known, safe-to-show errors keep their message.
//
// Errors are recognised by name, not instanceof: the scheduler is a process-wide singleton
// created from instrumentation's bundle, and Next bundles each route separately, so an error
// thrown inside it is an instance of another copy of the same class.
export type HttpFailure = { status: number; code: string; message: string; headers?: Record<string, string> };

const KNOWN: Record<string, { status: number; code: string }> = {
  BackupBusyError: { status: 409, code: "backup_in_progress" },
  InsufficientSpaceError: { status: 507, code: "insufficient_storage" },
  DiskFullError: { status: 507, code: "insufficient_storage" },
  BackupNameError: { status: 404, code: "not_found" },
  BackupExistsError: { status: 409, code: "exists" },
  ScheduleError: { status: 400, code: "invalid_input" },
  TokenError: { status: 400, code: "invalid_input" },
  OffsiteConfigError: { status: 400, code: "invalid_input" },
  OffsiteIdentityError: { status: 400, code: "invalid_identity" },
  OffsiteNotFoundError: { status: 404, code: "not_found" },
  OffsiteCopyRefusedError: { status: 422, code: "refused" },
  OffsiteUnreachableError: { status: 502, code: "offsite_unreachable" },
};

export function httpFailureOf(error: unknown): HttpFailure {
  const known = error instanceof Error ? KNOWN[error.name] : undefined;
  if (known) {
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    return {
      ...known,
      message: (error as Error).message,
      headers: retryAfter ? { "Retry-After": String(retryAfter) } : undefined,
    };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return { status: 500, code: "backup_failed", message: `The backup could not be made: ${reason}` };
}
