// Polls GET /api/admin/backup-progress for a ticket while a backup request is running, and says
// where it is: waiting behind another backup, or copying (bytes copied of the total).
import type { SnapshotProgress } from "@/lib/backup/progress";
import { formatBytes } from "@/lib/format";

export function newTicket(): string {
  return crypto.randomUUID();
}

export function describeProgress(progress: SnapshotProgress | null): string {
  if (!progress || progress.state === "waiting") {
    return progress ? "Waiting for another backup to finish…" : "Starting the snapshot…";
  }
  if (progress.state === "copying") {
    return progress.bytes
      ? `Copying the database: ${formatBytes(progress.position)} of ${formatBytes(progress.bytes)}…`
      : "Copying the database…";
  }
  if (progress.state === "done") return "Snapshot taken; finishing…";
  return `The snapshot failed: ${progress.message ?? "unknown error"}`;
}

/** Calls `onProgress` every 400 ms until the returned stop function is called. */
export function pollProgress(ticket: string, onProgress: (progress: SnapshotProgress | null) => void): () => void {
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      try {
        const response = await fetch(`/api/admin/backup-progress?ticket=${ticket}`, { cache: "no-store" });
        if (!stopped && response.ok) onProgress((await response.json()) as SnapshotProgress);
      } catch {
        // the next tick tries again
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  };
  void tick();
  return () => {
    stopped = true;
  };
}
