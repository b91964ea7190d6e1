// The shape of a backup's offsite copy state and its one-line description. Only pure imports:
// the console's client components show it too.
import { formatInZone } from "../time-format";
/** Attempts per copy; the waits between them double from OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS. */
export const COPY_ATTEMPTS = 8;

export type OffsiteCopyStatus = "pending" | "uploading" | "done" | "failed";

export type OffsiteCopyState = {
  status: OffsiteCopyStatus;
  at: string;
  attempts: number;
  /** The object's key in the bucket (…db or …db.age). */
  key?: string;
  /** sha256 of the object as stored (the ciphertext when encrypted). */
  sha256?: string;
  bytes?: number;
  encrypted?: boolean;
  /** How long the successful attempt took (read, encrypt, upload, manifest). */
  durationMs?: number;
  /** Why the last attempt failed; on `pending` (and `uploading` a retry), another follows. */
  error?: string;
  nextAttemptAt?: string;
  /** The multipart upload under way (uploading): a process killed mid-upload leaves it to abort. */
  upload?: { key: string; uploadId: string };
  /** 0-100 while uploading (from memory: the server process that uploads). */
  percent?: number;
  /**
   * Done without an upload: `key` is the copy of this older backup, which holds the same bytes
   * ("sha256") or the same data apart from Opstage's own record of its backups ("data").
   * Offsite retention keeps an object while a backup's state shares it.
   */
  shared?: { from: string; sameAs: "sha256" | "data" };
};

/** Whether the copy is between two attempts, or in one after an earlier failed. */
export function isRetrying(state: OffsiteCopyState | null): boolean {
  if (!state) return false;
  return (
    (state.status === "pending" && state.error !== undefined) || (state.status === "uploading" && state.attempts > 1)
  );
}

/** One line for lists: "done", "done (same data as …; not uploaded again)", "uploading 42%", "retrying: attempt 2 of 8 failed …", "failed …". */
export function describeCopyState(state: OffsiteCopyState | null): string {
  if (!state) return "—";
  if (state.status === "uploading") {
    const retry = state.attempts > 1 ? ` (attempt ${state.attempts} of ${COPY_ATTEMPTS})` : "";
    return `uploading ${state.percent ?? 0}%${retry}`;
  }
  if (state.status === "pending") {
    return state.error
      ? `retrying: attempt ${state.attempts} of ${COPY_ATTEMPTS} failed (${state.error}); next at ${formatInZone(state.nextAttemptAt ?? state.at, "UTC", true)}`
      : "pending";
  }
  if (state.status === "failed") return `failed after ${state.attempts} attempts: ${state.error}`;
  const encrypted = state.encrypted ? "encrypted, " : "";
  if (state.shared) return `done (${encrypted}same data as ${state.shared.from}; not uploaded again)`;
  return state.encrypted ? "done (encrypted)" : "done";
}
