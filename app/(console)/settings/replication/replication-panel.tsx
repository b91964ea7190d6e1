"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import type { ReplicationStatus } from "@/lib/replication/status";
import { apiRequest } from "../../api-client";

const button =
  "rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600 disabled:opacity-60";

const STATE_TEXT: Record<ReplicationStatus["state"], string> = {
  off: "Off",
  ok: "Replicating",
  starting: "Starting",
  error: "Error",
};

/** A datetime-local value (the browser's local time, no zone) as an ISO time with its zone. */
function localInputToIso(value: string): string {
  return new Date(value).toISOString();
}

export function ReplicationPanel({ initial, canRestore }: { initial: ReplicationStatus; canRestore: boolean }) {
  const { data } = useQuery({
    queryKey: ["replication"],
    queryFn: () => apiRequest<ReplicationStatus>("/api/admin/replication"),
    initialData: initial,
    refetchInterval: 10_000,
  });
  const [moment, setMoment] = useState("");
  // An encrypted replica's identity: sent with the one restore request, never kept by the page.
  const [identity, setIdentity] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const restore = useMutation({
    mutationFn: async (at: string) => {
      const confirmed = window.confirm(
        `Restore the replica as it was at ${at}?\n\n` +
          "The live database (opstage.db) will be replaced; it is kept as a pre-restore backup. Changes made after that " +
          "moment are undone. Requests pause for a moment during the swap and everyone signs in again.",
      );
      if (!confirmed) return null;
      return apiRequest<{ next: string }>("/api/admin/replication/restore", {
        method: "POST",
        body: JSON.stringify({ at, identity: identity.trim() ? identity : null }),
      });
    },
    onSuccess: (result) => {
      setIdentity("");
      if (result) void signOut({ callbackUrl: result.next });
    },
    onError: (error: Error) => {
      setIdentity("");
      setMessage(error.message);
    },
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
  const rows: [string, string, string?][] = [
    ["State", STATE_TEXT[data.state], "replication-state"],
    ["Replica", data.replicaLabel, "replication-replica"],
    ["Encryption", data.encryptionLabel, "replication-encryption"],
    [
      "Litestream",
      `${data.litestream.version ?? data.litestream.error ?? "unknown"}${data.pid ? ` (pid ${data.pid})` : ""}`,
    ],
    ["Last sync", data.lastSync ?? "none yet", "replication-last-sync"],
    ["Lag", data.lag ?? "unknown"],
    ["Restorable window", data.window ? `${data.window.from} – ${data.window.to}` : "none yet", "replication-window"],
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
              <dt className="text-slate-500">{label}</dt>
              <dd className="col-span-2 break-all font-mono text-xs leading-5" data-testid={testId}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
        {problems.length > 0 && (
          <div
            role="alert"
            className="border-t border-slate-100 px-6 py-3 text-sm text-red-700"
            data-testid="replication-error"
          >
            {problems.map((problem) => (
              <p key={problem}>{problem}</p>
            ))}
          </div>
        )}
      </section>
      {data.generations && data.generations.length > 0 && (
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="text-lg font-medium">Generations in the replica</h2>
          <p className="mt-1 text-sm text-slate-600">
            A generation is a snapshot and the changes after it. A new one starts when the database was replaced (a
            restore) or its WAL was restarted outside Litestream.
          </p>
          <table className="mt-3 w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-1">Generation</th>
                <th>From</th>
                <th>To</th>
                <th>Lag</th>
              </tr>
            </thead>
            <tbody className="font-mono text-xs">
              {data.generations.map((g) => (
                <tr key={g.generation} className="border-t border-slate-100">
                  <td className="py-1">{g.generation}</td>
                  <td>{g.start}</td>
                  <td>{g.end}</td>
                  <td>{g.lag}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {canRestore && (
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="text-lg font-medium">Restore to a moment</h2>
          <p className="mt-1 max-w-2xl text-sm text-slate-600">
            Pick a moment in the window above (your browser&apos;s time zone). The replica as it was then is checked and
            swapped in like any backup; the current database is kept as a pre-restore backup. An encrypted replica needs
            its age identity, used for this one restore and never stored.
          </p>
          <form
            className="mt-4 flex flex-wrap items-center gap-3"
            onSubmit={(event) => {
              event.preventDefault();
              setMessage(null);
              if (!moment) return setMessage("Pick a moment first.");
              restore.mutate(localInputToIso(moment));
            }}
          >
            <label className="text-sm">
              <span className="sr-only">The moment to restore to, in your browser&apos;s time zone</span>
              <input
                type="datetime-local"
                step="1"
                value={moment}
                onChange={(event) => setMoment(event.target.value)}
                className="rounded-md border border-slate-300 px-2 py-1 text-sm"
                data-testid="replication-moment"
              />
            </label>
            <label className="max-w-full text-sm">
              <span className="sr-only">
                age identity of an encrypted replica (used for this restore, never stored)
              </span>
              <input
                name="identity"
                type="password"
                autoComplete="off"
                value={identity}
                onChange={(event) => setIdentity(event.target.value)}
                placeholder={
                  data.encryption?.recipient ? "AGE-SECRET-KEY-1… (required)" : "AGE-SECRET-KEY-1… (if encrypted)"
                }
                className="w-72 max-w-full rounded-md border border-slate-300 px-2 py-1 text-sm"
                data-testid="replication-identity"
              />
            </label>
            <button type="submit" className={button} disabled={restore.isPending}>
              {restore.isPending ? "Restoring…" : "Restore"}
            </button>
          </form>
          {message && (
            <p
              role="alert"
              className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700"
              data-testid="replication-message"
            >
              {message}
            </p>
          )}
        </section>
      )}
    </div>
  );
}
