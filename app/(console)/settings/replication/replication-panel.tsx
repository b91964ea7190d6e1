"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { lagWords, restorableWindow, spanHolding } from "@/lib/replication/restorable-window";
import type { ReplicationStatus } from "@/lib/replication/status";
import { formatInZone } from "@/lib/time-format";
import { apiRequest } from "../../api-client";
import { ScrollRegion } from "../../scroll-region";
import { useViewerZone, When } from "../../when";
import { MomentInZones, MomentRestoreDialog } from "./moment-restore-dialog";

const STATE_TEXT: Record<ReplicationStatus["state"], string> = {
  off: "Off",
  ok: "Replicating",
  starting: "Starting",
  error: "Error",
};

/** An ISO time as a datetime-local value: the browser's local time to the second, no zone. */
function isoToLocalInput(iso: string): string {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

/** A datetime-local value (the browser's local time, no zone) as an ISO time; null when incomplete. */
function localInputToIso(value: string): string | null {
  const at = new Date(value);
  return value && !Number.isNaN(at.getTime()) ? at.toISOString() : null;
}

function MomentPicker({ data, serverZone }: { data: ReplicationStatus; serverZone: string }) {
  const viewerZone = useViewerZone();
  const window = restorableWindow(data.generations);
  const [value, setValue] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const iso = localInputToIso(value);
  // While Litestream replicates, the newest generation grows every second: the window read a few
  // seconds ago ends before a moment that is restorable now (the server refuses what is not).
  const spans =
    window && data.state === "ok"
      ? window.spans.map((span) => (span.to === window.to ? { ...span, to: new Date().toISOString() } : span))
      : (window?.spans ?? []);
  const outside = iso !== null && window !== null && spanHolding(spans, Date.parse(iso)) === null;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="restore-moment-title">
      <h2 id="restore-moment-title" className="text-lg font-medium">
        Restore to a moment
      </h2>
      <p className="mt-1 max-w-2xl text-sm text-slate-600">
        Pick a moment in the replica&apos;s window, in any of its generations. It is checked first (restored into a temp
        file and verified, nothing replaced), then you see what the restore does and confirm; the current database is
        kept as a pre-restore backup.
      </p>
      {window ? (
        <form
          className="mt-4 space-y-3"
          onSubmit={(event) => {
            event.preventDefault();
            if (iso && !outside) setOpen(iso);
          }}
        >
          <div className="flex flex-wrap items-end gap-3">
            <label className="block text-sm">
              <span className="block font-medium text-slate-800">
                Moment to restore to (your time{viewerZone ? `, ${viewerZone}` : ""})
              </span>
              <input
                type="datetime-local"
                step="1"
                value={value}
                onChange={(event) => setValue(event.target.value)}
                className="mt-1 rounded-md border border-slate-400 bg-white px-2 py-1 text-sm"
                data-testid="replication-moment"
              />
            </label>
            <button
              type="button"
              onClick={() => setValue(isoToLocalInput(window.to))}
              className="rounded-md border border-slate-400 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50"
            >
              Newest moment
            </button>
          </div>
          <p className="text-sm text-slate-700" data-testid="replication-moment-zones" aria-live="polite">
            {iso ? (
              <>
                That is <MomentInZones at={iso} serverZone={serverZone} />.
              </>
            ) : (
              "No moment picked yet."
            )}
          </p>
          {outside && (
            <p
              role="alert"
              className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900"
              data-testid="replication-moment-outside"
            >
              The replica holds no data for that moment. Pick one within a generation:{" "}
              {window.spans
                .map(
                  (span) => `${formatInZone(span.from, serverZone, true)} – ${formatInZone(span.to, serverZone, true)}`,
                )
                .join("; ")}
              .
            </p>
          )}
          <button
            type="submit"
            disabled={!iso || outside}
            className="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600 disabled:opacity-60"
          >
            Check this moment…
          </button>
        </form>
      ) : (
        <p className="mt-3 text-sm text-slate-600">The replica holds nothing to restore yet.</p>
      )}
      {open && (
        <MomentRestoreDialog
          at={open}
          serverZone={serverZone}
          encryptedTo={data.encryption?.recipient ?? null}
          onClose={() => setOpen(null)}
        />
      )}
    </section>
  );
}

export function ReplicationPanel({
  initial,
  canRestore,
  serverZone,
}: {
  initial: ReplicationStatus;
  canRestore: boolean;
  serverZone: string;
}) {
  const { data } = useQuery({
    queryKey: ["replication"],
    queryFn: () => apiRequest<ReplicationStatus>("/api/admin/replication"),
    initialData: initial,
    refetchInterval: 10_000,
  });

  if (!data.enabled) {
    return (
      <section
        className="rounded-lg border border-slate-200 bg-white p-6 text-sm text-slate-600"
        data-testid="replication-off"
      >
        Replication is off. Set <code className="font-mono">OPSTAGE_REPLICATION</code> to <code>file</code>,{" "}
        <code>sftp</code> or <code>s3</code> (see the README&apos;s Replication section) and restart.
      </section>
    );
  }
  const window = restorableWindow(data.generations);
  const rows: [string, ReactNode, string?][] = [
    ["State", STATE_TEXT[data.state], "replication-state"],
    ["Replica", data.replicaLabel, "replication-replica"],
    ["Encryption", data.encryptionLabel, "replication-encryption"],
    [
      "Litestream",
      `${data.litestream.version ?? data.litestream.error ?? "unknown"}${data.pid ? ` (pid ${data.pid})` : ""}`,
    ],
    [
      "Last sync",
      data.lastSync ? <When at={data.lastSync} serverZone={serverZone} age /> : "none yet",
      "replication-last-sync",
    ],
    ["Lag", lagWords(data.lag), "replication-lag"],
    [
      "Restorable window",
      window ? (
        <>
          {formatInZone(window.from, serverZone, true)} – {formatInZone(window.to, serverZone, true)}
          {window.spans.length > 1 && ` (${window.spans.length} generations; see below)`}
        </>
      ) : (
        "none yet"
      ),
      "replication-window",
    ],
    ["Sync interval / snapshots / retention", `${data.syncInterval} / ${data.snapshotInterval} / ${data.retention}`],
    ["Generations started since the server started", String(data.generationsStarted)],
  ];
  const problems = [data.setupError, data.replicaError, data.state === "error" ? data.lastError?.message : null].filter(
    (text): text is string => Boolean(text),
  );
  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white">
        <dl className="divide-y divide-slate-100">
          {rows.map(([label, value, testId]) => (
            <div key={label} className="grid grid-cols-3 gap-4 px-6 py-2.5 text-sm">
              <dt className="text-slate-600">{label}</dt>
              <dd className="col-span-2 text-sm leading-5 break-words" data-testid={testId}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
        {problems.length > 0 && (
          <div
            role="alert"
            className="border-t border-red-200 bg-red-50 px-6 py-3 text-sm text-red-900"
            data-testid="replication-error"
          >
            {problems.map((problem) => (
              <p key={problem}>{problem}</p>
            ))}
          </div>
        )}
      </section>
      {window && (
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="text-lg font-medium">Generations in the replica</h2>
          <p className="mt-1 text-sm text-slate-600">
            A generation is a snapshot and the changes after it. A new one starts when the database was replaced (a
            restore) or its WAL was restarted outside Litestream. Any moment within a generation can be restored; times
            are the server&apos;s ({serverZone}).
          </p>
          <ScrollRegion label="Generations in the replica" className="mt-3">
            <table className="w-full text-sm" data-testid="replication-generations">
              <thead className="text-left text-slate-600">
                <tr>
                  <th className="py-1 pr-3">Generation</th>
                  <th className="pr-3">From</th>
                  <th className="pr-3">To</th>
                  <th>Lag</th>
                </tr>
              </thead>
              <tbody>
                {window.spans.map((span) => (
                  <tr key={span.generation} className="border-t border-slate-100">
                    <td className="py-1 pr-3 font-mono text-xs">{span.generation}</td>
                    <td className="pr-3">{formatInZone(span.from, serverZone, true)}</td>
                    <td className="pr-3">{formatInZone(span.to, serverZone, true)}</td>
                    <td>
                      {/* Litestream measures every generation against the live file: only the newest's lag means anything. */}
                      {span.to === window.to
                        ? lagWords(data.generations?.find((g) => g.generation === span.generation)?.lag ?? null)
                        : "—"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </section>
      )}
      {canRestore && <MomentPicker data={data} serverZone={serverZone} />}
    </div>
  );
}
