// How backup failures look over HTTP. Only known, safe-to-show errors keep their message.
import { BackupNameError } from "@/lib/backup/files";
import { BackupBusyError } from "@/lib/backup/lock";
import { InsufficientSpaceError } from "@/lib/backup/space";
import { ScheduleError } from "@/lib/backup/schedule";
import { TokenError } from "@/lib/auth/api-tokens";

export type HttpFailure = { status: number; code: string; message: string; headers?: Record<string, string> };

export function httpFailureOf(error: unknown): HttpFailure {
  if (error instanceof BackupBusyError) {
    return { status: 409, code: "backup_in_progress", message: error.message, headers: { "Retry-After": String(error.retryAfterSeconds) } };
  }
  if (error instanceof InsufficientSpaceError) return { status: 507, code: "insufficient_storage", message: error.message };
  if (error instanceof BackupNameError) return { status: 404, code: "not_found", message: error.message };
  if (error instanceof ScheduleError || error instanceof TokenError) {
    return { status: 400, code: "invalid_input", message: error.message };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return { status: 500, code: "backup_failed", message: `The backup could not be made: ${reason}` };
}
