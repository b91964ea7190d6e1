// The shape of a backup's offsite copy state and its one-line description. No imports: the
// console's client components show it too.
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
  /** Why the last attempt failed; on `pending`, a retry follows at nextAttemptAt. */
  error?: string;
  nextAttemptAt?: string;
  /** 0-100 while uploading (from memory: the server process that uploads). */
  percent?: number;
};

/** One line for lists: "done", "uploading 42%", "pending (retry at …)", "failed: reason". */
export function describeCopyState(state: OffsiteCopyState | null): string {
  if (!state) return "—";
  if (state.status === "uploading") return `uploading ${state.percent ?? 0}%`;
  if (state.status === "pending") {
    return state.error
      ? `pending: attempt ${state.attempts} failed (${state.error}); retry at ${new Date(state.nextAttemptAt ?? state.at).toLocaleTimeString()}`
      : "pending";
  }
  if (state.status === "failed") return `failed: ${state.error}`;
  return state.encrypted ? "done (encrypted)" : "done";
}
