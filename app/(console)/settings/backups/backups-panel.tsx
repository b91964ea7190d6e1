"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState, type FormEvent } from "react";
import type { BackupEntry } from "@/lib/backup/catalog";
import type { BackupsOverview } from "@/lib/backup/overview";
import { formatBytes } from "@/lib/format";
import { describeCopyState } from "@/lib/offsite/copy-status";
import { OffsitePanel } from "./offsite-panel";
import { apiRequest } from "../../api-client";
import { SizeChart } from "./size-chart";
import { EmptyRow } from "../../empty-row";

const button =
  "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50";

function VerificationBadge({ entry }: { entry: BackupEntry }) {
  const v = entry.verification;
  if (!v) return <span className="text-slate-400">not verified</span>;
  const tone = v.restorable ? "bg-emerald-50 text-emerald-700" : "bg-red-50 text-red-700";
  const label = v.state === "restorable" ? "restorable" : v.state === "newer" ? "made by a newer version" : v.state;
  return (
    <span className="whitespace-nowrap">
      <span title={`${v.detail} (${v.at})`} className={`rounded px-1.5 py-0.5 text-xs ${tone}`}>
        {label}
      </span>
      <span data-testid="proven" className="ml-2 text-xs text-slate-500">
        {new Date(v.at).toLocaleString()}
        {v.how ? ` · ${PROVEN_HOW[v.how]}` : ""}
      </span>
    </span>
  );
}

/** How the backup was last proven (lib/backup/proof.ts). */
const PROVEN_HOW: Record<NonNullable<BackupEntry["verification"]>["how"] & string, string> = {
  "after-backup": "checked after backup",
  "re-check": "periodic re-check",
  "by-hand": "verified by hand",
};

function ScheduleForm({ schedule, disabled }: { schedule: BackupsOverview["schedule"]; disabled: boolean }) {
  const queryClient = useQueryClient();
  const [cron, setCron] = useState(schedule.cron ?? "");
  const [keep, setKeep] = useState(String(schedule.keep));
  const save = useMutation({
    mutationFn: () =>
      apiRequest("/api/admin/backup-schedule", {
        method: "PUT",
        body: JSON.stringify({ cron: cron.trim() || null, keep: Number(keep) }),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["backups"] }),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const last = schedule.lastRun;
  return (
    <form onSubmit={onSubmit} className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <label className="block text-sm">
          <span className="text-slate-600">Schedule (cron, empty = off)</span>
          <input
            name="cron"
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            placeholder="0 3 * * *"
            disabled={disabled}
            className="mt-1 block w-56 rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
          />
        </label>
        <label className="block text-sm">
          <span className="text-slate-600">Keep scheduled backups</span>
          <input
            name="keep"
            type="number"
            min={1}
            max={1000}
            value={keep}
            onChange={(e) => setKeep(e.target.value)}
            disabled={disabled}
            className="mt-1 block w-28 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          />
        </label>
        {!disabled && (
          <button
            type="submit"
            disabled={save.isPending}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
          >
            Save schedule
          </button>
        )}
      </div>
      {save.isError && <p className="text-sm text-red-700">{save.error.message}</p>}
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Next run</dt>
        <dd data-testid="schedule-next">{schedule.nextRun ? new Date(schedule.nextRun).toLocaleString() : "off"}</dd>
        <dt className="text-slate-500">Last run</dt>
        <dd data-testid="schedule-last">
          {last
            ? `${new Date(last.at).toLocaleString()} — ${last.ok ? `ok (${last.name})` : `failed: ${last.error}`}`
            : "never"}
        </dd>
      </dl>
      <p className="text-xs text-slate-500">
        Retention deletes only scheduled backups (keeping the newest N above) and pre-restore backups (each restore
        keeps the newest 3); manual, pre-upgrade and uploaded backups stay until you delete them.
      </p>
    </form>
  );
}

export function BackupsPanel({ initial, isOwner }: { initial: BackupsOverview; isOwner: boolean }) {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: ["backups"],
    queryFn: () => apiRequest<BackupsOverview>("/api/admin/backups"),
    initialData: initial,
    refetchInterval: 5_000,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["backups"] });
  const [message, setMessage] = useState<string | null>(null);
  const onError = (error: Error) => setMessage(error.message);

  const create = useMutation({
    mutationFn: () => apiRequest<{ name: string }>("/api/admin/backups", { method: "POST" }),
    onSuccess: (backup) => {
      setMessage(`Stored ${backup.name}.`);
      void refresh();
    },
    onError,
  });
  const verify = useMutation({
    mutationFn: (name: string) =>
      apiRequest<{ detail: string }>(`/api/admin/backups/${encodeURIComponent(name)}/verify`, { method: "POST" }),
    onSuccess: (result, name) => {
      setMessage(`${name}: ${result.detail}`);
      void refresh();
    },
    onError,
  });
  const restore = useMutation({
    mutationFn: async (name: string) => {
      const check = await apiRequest<{ restorable: boolean; detail: string }>(
        `/api/admin/backups/${encodeURIComponent(name)}/verify`,
        { method: "POST" },
      );
      if (!check.restorable) throw new Error(`${name} cannot be restored: ${check.detail}`);
      const confirmed = window.confirm(
        `Restore ${name}?\n\n${check.detail}\n\n` +
          "The live database (opstage.db) will be replaced; it is kept as a pre-restore backup (the newest 3 are kept). " +
          "This instance's backup schedule is kept. Users, passwords, roles and API tokens return to what the backup holds: " +
          "tokens revoked since it was made work again (the audit log's backup.sqlite.restored entry lists them). " +
          "Requests pause for a moment during the swap and everyone signs in again.",
      );
      if (!confirmed) return null;
      return apiRequest<{ next: string }>("/api/admin/restore", { method: "POST", body: JSON.stringify({ name }) });
    },
    onSuccess: (result) => {
      if (result) void signOut({ callbackUrl: result.next });
    },
    onError,
  });
  const upload = useMutation({
    mutationFn: async (file: File) =>
      apiRequest<{ name: string }>(`/api/admin/backups/upload?name=${encodeURIComponent(file.name)}`, {
        method: "PUT",
        body: file,
        headers: { "Content-Type": "application/octet-stream" },
      }),
    onSuccess: (backup) => {
      setMessage(`Uploaded ${backup.name}. Verify it, then restore it if you want to.`);
      void refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (name: string) => apiRequest(`/api/admin/backups/${encodeURIComponent(name)}`, { method: "DELETE" }),
    onSuccess: (_result, name) => {
      setMessage(`Deleted ${name}.`);
      void refresh();
    },
    onError,
  });

  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Schedule and retention</h2>
        <ScheduleForm
          key={`${data.schedule.cron}|${data.schedule.keep}`}
          schedule={data.schedule}
          disabled={!isOwner}
        />
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <div className="mb-4 flex items-center gap-3">
          <h2 className="text-lg font-medium">Stored backups</h2>
          {isOwner && (
            <button
              type="button"
              onClick={() => create.mutate()}
              disabled={create.isPending}
              className="ml-auto rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
            >
              {create.isPending ? "Backing up…" : "Back up now"}
            </button>
          )}
        </div>
        {isOwner && (
          <form
            className="mb-4 flex items-center gap-3 text-sm"
            onSubmit={(event) => {
              event.preventDefault();
              const file = (event.currentTarget.elements.namedItem("file") as HTMLInputElement).files?.[0];
              if (file) upload.mutate(file);
            }}
          >
            <label className="text-slate-600">
              Upload a backup (.db){" "}
              <input name="file" type="file" accept=".db,application/vnd.sqlite3" className="ml-2 text-sm" />
            </label>
            <button type="submit" className={button} disabled={upload.isPending}>
              {upload.isPending ? "Uploading…" : "Upload"}
            </button>
          </form>
        )}
        {restore.isPending && (
          <p className="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">
            Restoring… the console pauses meanwhile.
          </p>
        )}
        {message && (
          <p data-testid="backups-message" className="mb-4 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
            {message}
          </p>
        )}
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-2 pr-3 font-medium">Name</th>
                <th className="py-2 pr-3 font-medium">Kind</th>
                <th className="py-2 pr-3 font-medium">Created</th>
                <th className="py-2 pr-3 font-medium">Size</th>
                <th className="py-2 pr-3 font-medium">SHA-256</th>
                <th className="py-2 pr-3 font-medium">Last proven</th>
                {data.offsiteConfigured && <th className="py-2 pr-3 font-medium">Offsite</th>}
                {isOwner && <th className="py-2 font-medium">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {data.backups.map((entry) => (
                <tr
                  key={entry.name}
                  data-testid="backup-row"
                  data-name={entry.name}
                  className="border-t border-slate-100"
                >
                  <td className="py-2 pr-3 font-mono text-xs whitespace-nowrap">{entry.name}</td>
                  <td className="py-2 pr-3">{entry.kind}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{new Date(entry.createdAt).toLocaleString()}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{formatBytes(entry.bytes)}</td>
                  <td className="py-2 pr-3 font-mono text-xs">
                    {entry.sha256 ? `${entry.sha256.slice(0, 12)}…` : "—"}
                  </td>
                  <td className="py-2 pr-3">
                    <VerificationBadge entry={entry} />
                  </td>
                  {data.offsiteConfigured && (
                    <td
                      data-testid="offsite-state"
                      className="max-w-64 py-2 pr-3 text-xs"
                      title={entry.offsite?.error ?? undefined}
                    >
                      {describeCopyState(entry.offsite)}
                    </td>
                  )}
                  {isOwner && (
                    <td className="flex gap-2 py-2">
                      <a className={button} href={`/api/admin/backups/${encodeURIComponent(entry.name)}`} download>
                        Download
                      </a>
                      <button
                        type="button"
                        className={button}
                        disabled={verify.isPending}
                        onClick={() => verify.mutate(entry.name)}
                      >
                        Verify
                      </button>
                      <button
                        type="button"
                        className={button}
                        disabled={restore.isPending}
                        onClick={() => restore.mutate(entry.name)}
                      >
                        Restore
                      </button>
                      <button
                        type="button"
                        className={`${button} text-red-700`}
                        disabled={remove.isPending}
                        onClick={() => {
                          if (window.confirm(`Delete ${entry.name}? This cannot be undone.`)) remove.mutate(entry.name);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
              {data.backups.length === 0 && (
                <EmptyRow columns={data.offsiteConfigured ? 8 : 7}>No backups yet.</EmptyRow>
              )}
            </tbody>
          </table>
        </div>
      </section>

      {isOwner && (
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="mb-3 text-lg font-medium">Offsite</h2>
          <OffsitePanel />
        </section>
      )}

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Size over time</h2>
        <SizeChart backups={data.backups} />
      </section>
    </div>
  );
}
