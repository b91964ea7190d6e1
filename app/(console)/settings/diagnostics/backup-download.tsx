"use client";
import { useEffect, useState } from "react";
import type { SnapshotProgress } from "@/lib/backup/progress";
import { describeProgress, newTicket, pollProgress } from "../backups/progress-poll";

// A plain form POST rather than fetch(): the browser's download manager receives the stream
// (with a progress bar, since the response has a Content-Length) and writes it straight to disk,
// where fetch() would have to hold the whole database in page memory first. The form carries a
// ticket, so this page can follow the snapshot meanwhile (bytes copied of the total) and keep the
// button disabled until it is taken: a second click would start a second snapshot.
export function BackupDownload() {
  const [ticket, setTicket] = useState<string | null>(null);
  const [progress, setProgress] = useState<SnapshotProgress | null>(null);
  useEffect(() => {
    if (!ticket) return;
    return pollProgress(ticket, (next) => {
      setProgress(next);
      if (next?.state === "done" || next?.state === "failed") setTicket(null);
    });
  }, [ticket]);
  const preparing = ticket !== null;
  const finished = !preparing && progress?.state === "done";
  return (
    <form
      method="post"
      action="/api/admin/backup/sqlite?via=form"
      className="mt-4 space-y-3"
      onSubmit={(event) => {
        if (preparing) {
          event.preventDefault();
          return;
        }
        const next = newTicket();
        // Read by the browser after this handler returns: the ticket goes with this submission.
        event.currentTarget.action = `/api/admin/backup/sqlite?via=form&ticket=${next}`;
        setProgress(null);
        setTicket(next);
      }}
    >
      <button
        type="submit"
        disabled={preparing}
        className="rounded-md bg-indigo-700 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-600 disabled:cursor-wait disabled:opacity-60"
      >
        {preparing ? "Preparing the snapshot…" : "Download SQLite backup"}
      </button>
      <div aria-live="polite" className="text-sm text-slate-700" data-testid="download-progress">
        {preparing && (
          <>
            <p>{describeProgress(progress)}</p>
            {progress?.bytes ? (
              <progress
                className="mt-1 h-2 w-64 max-w-full"
                max={progress.bytes}
                value={progress.position}
                aria-label="Snapshot progress"
              />
            ) : null}
          </>
        )}
        {finished && (
          <p>Snapshot {progress?.name} taken and kept in the backup folder; your browser is saving the download.</p>
        )}
      </div>
    </form>
  );
}
