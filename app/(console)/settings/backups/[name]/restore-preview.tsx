"use client";
// The restore dialog's preview: the live database compared with the backup, i.e. what the
// restore changes, before the typed confirmation. Lines about the settings a restore keeps from
// this instance (schedule, offsite target, alert channels) are shown apart: the restore does not
// apply them.
import { useEffect, useRef } from "react";
import { ComparisonProgress, ComparisonView } from "./comparison-view";
import { compareUrlOf, useComparison } from "./use-comparison";

const KEPT_BY_RESTORE = ["schedule", "offsite target", "alert channel"];

/**
 * `name`: the stored backup to restore. `compareUrl`: another compare endpoint answering the same
 * way (a moment of the replica prepared into a temp file), when the source is not a stored backup.
 * `target`: what the heading calls the source ("this backup" unless said).
 */
export function RestorePreview({
  name,
  compareUrl,
  target = "this backup",
}: {
  name: string;
  compareUrl?: string;
  target?: string;
}) {
  const url = compareUrl ?? compareUrlOf(name);
  const { start, job, pollError, cancel } = useComparison(url);
  const { mutate } = start;
  useEffect(() => {
    mutate({ against: "live" });
  }, [mutate]);
  // Closing the dialog cancels a comparison still running: it holds a database lease that a
  // restore would wait for, and nobody would read its result.
  const running = useRef<string | null>(null);
  useEffect(() => {
    running.current = job?.state === "running" ? job.id : null;
  }, [job]);
  useEffect(
    () => () => {
      const id = running.current;
      if (id) void fetch(`${url}?id=${encodeURIComponent(id)}`, { method: "DELETE" }).catch(() => {});
    },
    [url],
  );
  return (
    <section aria-labelledby="restore-step-preview" className="text-sm" data-testid="restore-preview">
      <h3 id="restore-step-preview" className="font-semibold">
        What the restore changes (the live database → {target})
      </h3>
      <div className="mt-1 space-y-2">
        {start.isPending && <p className="text-slate-700">Starting the comparison…</p>}
        {start.isError && (
          <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
            Could not compare it with the live database: {start.error.message}{" "}
            <button type="button" className="underline" onClick={() => mutate({ against: "live" })}>
              Try again
            </button>
          </p>
        )}
        {pollError && (
          <p role="alert" className="text-red-900">
            Lost track of the comparison: {pollError.message}
          </p>
        )}
        {job && <ComparisonProgress job={job} onCancel={() => cancel.mutate()} />}
        {job?.result && <ComparisonView comparison={job.result} kept={KEPT_BY_RESTORE} />}
        {job?.result && !job.result.identical && (
          // The tables count rows of both files; a restore then carries some live rows over
          // (lib/backup/restore-changes.ts), which a row count cannot show.
          <p className="text-xs text-slate-700" data-testid="restore-preview-carried">
            Rows of these tables are compared as they are in the two files. The restore then keeps, from the live
            database: the sessions of users the backup also has (they stay signed in; you sign in again), the schedule
            and its last run, the offsite target, the alert channels and alerts still to send.
          </p>
        )}
      </div>
    </section>
  );
}
