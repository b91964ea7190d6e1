"use client";
// A backup's contents, read-only: the domain views (users, tokens, schedule, offsite target,
// alert channels, newest audit events), every table with its rows a page at a time and its
// export, and a comparison with the live database or another backup.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatBytes } from "@/lib/format";
import type { BackupContents, DomainView, RowsPage } from "@/lib/inspect/types";
import { apiRequest } from "../../../api-client";
import { ScrollRegion } from "../../../scroll-region";
import { ComparisonProgress, ComparisonView, showCell } from "./comparison-view";
import { compareUrlOf, useComparison } from "./use-comparison";

type Inspection = BackupContents & { name: string; domain: DomainView };

const card = "rounded-lg border border-slate-200 bg-white p-4 sm:p-6";
const th = "border-b border-slate-200 px-2 py-1 text-left font-medium whitespace-nowrap";
const td = "border-b border-slate-100 px-2 py-1 align-top";

function SimpleTable({ label, head, rows }: { label: string; head: string[]; rows: (string | number | null)[][] }) {
  if (rows.length === 0) return <p className="text-sm text-slate-600">None.</p>;
  return (
    <ScrollRegion label={label}>
      <table className="min-w-full text-sm">
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className={th}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j} className={td}>
                  {cell ?? "—"}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function DomainViews({ domain }: { domain: DomainView }) {
  return (
    <section className={card} aria-labelledby="domain-heading" data-testid="domain-views">
      <h2 id="domain-heading" className="text-lg font-semibold">
        What it holds
      </h2>
      <div className="mt-3 grid gap-6 lg:grid-cols-2">
        <div className="min-w-0">
          <h3 className="mb-1 text-sm font-semibold">Users</h3>
          <SimpleTable
            label="Users in the backup"
            head={["User", "Role", "Status", "Two-factor", "Last sign-in"]}
            rows={domain.users.map((u) => [
              u.username,
              u.role,
              u.status.toLowerCase(),
              u.twoFactor,
              u.lastLoginAt?.slice(0, 16) ?? null,
            ])}
          />
        </div>
        <div className="min-w-0">
          <h3 className="mb-1 text-sm font-semibold">API tokens</h3>
          <SimpleTable
            label="API tokens in the backup"
            head={["Token", "Prefix", "Owner", "State"]}
            rows={domain.tokens.map((t) => [t.name, t.prefix, t.owner, t.state])}
          />
        </div>
        <div className="min-w-0">
          <h3 className="mb-1 text-sm font-semibold">Schedule and offsite target</h3>
          <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600">Schedule</dt>
            <dd className="font-mono text-xs leading-5">
              {domain.schedule ? (domain.schedule.cron ?? "off") : "not set (the server's default)"}
              {domain.schedule?.keep ? `, keeps ${domain.schedule.keep}` : ""}
            </dd>
            <dt className="text-slate-600">Offsite target</dt>
            <dd className="break-all">
              {domain.offsite
                ? `s3://${domain.offsite.bucket}/${domain.offsite.prefix}${domain.offsite.endpoint ? ` at ${domain.offsite.endpoint}` : ""}${domain.offsite.encrypted ? ", encrypted" : ""}${domain.offsite.secretSet ? ", secret set (hidden)" : ""}`
                : "none"}
            </dd>
          </dl>
        </div>
        <div className="min-w-0">
          <h3 className="mb-1 text-sm font-semibold">Alert channels</h3>
          <SimpleTable
            label="Alert channels in the backup"
            head={["Channel", "Type", "On", "Events", "Secret"]}
            rows={domain.alertChannels.map((c) => [
              c.name,
              c.type,
              c.enabled ? "yes" : "no",
              c.events.join(", "),
              c.secretSet ? "set (hidden)" : "none",
            ])}
          />
        </div>
      </div>
      <h3 className="mt-6 mb-1 text-sm font-semibold">
        Newest audit events ({domain.audit.total.toLocaleString("en-US")} in all)
      </h3>
      <SimpleTable
        label="Newest audit events in the backup"
        head={["When", "Action", "Actor", "Result", "Message"]}
        rows={domain.audit.newest.map((e) => [
          e.createdAt.replace("T", " ").slice(0, 19),
          e.action,
          e.actor,
          e.result,
          e.message,
        ])}
      />
    </section>
  );
}

function TableRows({ name, table }: { name: string; table: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors.at(-1) ?? null;
  const page = useQuery({
    queryKey: ["backup-rows", name, table, after],
    queryFn: () =>
      apiRequest<RowsPage>(
        `/api/admin/backups/${encodeURIComponent(name)}/inspect/rows?table=${encodeURIComponent(table)}&limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      ),
  });
  const exportHref = (format: string) =>
    `/api/admin/backups/${encodeURIComponent(name)}/export?table=${encodeURIComponent(table)}&format=${format}`;
  return (
    <div className="mt-4 space-y-2" data-testid="table-rows">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <h3 className="font-semibold">{table}</h3>
        <span className="text-slate-600">page {cursors.length}</span>
        <a href={exportHref("csv")} download className="text-indigo-700 underline">
          Export {table} as CSV
        </a>
        <a href={exportHref("ndjson")} download className="text-indigo-700 underline">
          Export as NDJSON
        </a>
      </div>
      {page.isPending && <p className="text-sm text-slate-600">Reading…</p>}
      {page.isError && (
        <p role="alert" className="text-sm text-red-900">
          {page.error.message}
        </p>
      )}
      {page.data && (
        <ScrollRegion label={`Rows of ${table}`}>
          <table className="min-w-full text-xs">
            <thead>
              <tr>
                {page.data.columns.map((column) => (
                  <th key={column} scope="col" className={th}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="font-mono">
              {page.data.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) => (
                    <td key={j} className={`${td} whitespace-nowrap`}>
                      {showCell(cell, 60)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <div className="flex gap-2">
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          className="rounded-md border border-slate-400 px-2.5 py-1 text-xs text-slate-800 disabled:opacity-50"
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!page.data?.next}
          onClick={() => page.data?.next && setCursors((c) => [...c, page.data.next])}
          className="rounded-md border border-slate-400 px-2.5 py-1 text-xs text-slate-800 disabled:opacity-50"
        >
          Next page
        </button>
      </div>
    </div>
  );
}

function Tables({ name, contents }: { name: string; contents: BackupContents }) {
  const [table, setTable] = useState<string | null>(null);
  const sized = useQuery({
    queryKey: ["backup-sizes", name],
    queryFn: () => apiRequest<BackupContents>(`/api/admin/backups/${encodeURIComponent(name)}/inspect?sizes=1`),
    staleTime: Infinity,
  });
  const sizeOf = (tableName: string) => {
    if (sized.isError) return "unknown";
    const bytes = sized.data?.tables.find((t) => t.name === tableName)?.bytes;
    return bytes === undefined || bytes === null ? "measuring…" : formatBytes(bytes);
  };
  return (
    <section className={card} aria-labelledby="tables-heading">
      <h2 id="tables-heading" className="text-lg font-semibold">
        Tables
      </h2>
      <p className="text-sm text-slate-600">
        {formatBytes(contents.fileBytes)} file, {contents.pageSize}-byte pages; sizes are the pages each table and its
        indexes occupy (SQLite&apos;s dbstat).
      </p>
      <ScrollRegion label="Tables of the backup" className="mt-2">
        <table className="min-w-full text-sm" data-testid="tables">
          <thead>
            <tr>
              <th scope="col" className={th}>
                Table
              </th>
              <th scope="col" className={`${th} text-right`}>
                Rows
              </th>
              <th scope="col" className={`${th} text-right`}>
                Size
              </th>
              <th scope="col" className={th}>
                Masked
              </th>
            </tr>
          </thead>
          <tbody>
            {contents.tables.map((t) => (
              <tr key={t.name}>
                <td className={td}>
                  <button
                    type="button"
                    onClick={() => setTable(t.name)}
                    aria-pressed={table === t.name}
                    className="text-indigo-700 underline"
                  >
                    {t.name}
                  </button>
                </td>
                <td className={`${td} text-right tabular-nums`}>{t.rows.toLocaleString("en-US")}</td>
                <td className={`${td} text-right tabular-nums`}>{sizeOf(t.name)}</td>
                <td className={`${td} text-slate-700`}>{t.masked.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      {table && <TableRows key={table} name={name} table={table} />}
    </section>
  );
}

function Compare({ name, others }: { name: string; others: string[] }) {
  const [against, setAgainst] = useState("live");
  const { start, job, pollError, cancel } = useComparison(compareUrlOf(name));
  const running = job?.state === "running";
  return (
    <section className={card} aria-labelledby="compare-heading" data-testid="compare">
      <h2 id="compare-heading" className="text-lg font-semibold">
        Compare
      </h2>
      <p className="text-sm text-slate-600">
        What changes going from another database to this backup: rows added, removed and changed, matched by primary
        key.
      </p>
      <form
        className="mt-2 flex flex-wrap items-end gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          start.mutate(against === "live" ? { against: "live" } : { against: "backup", name: against });
        }}
      >
        <label className="max-w-full min-w-0 text-sm">
          <span className="block text-slate-700">From</span>
          <select
            value={against}
            onChange={(event) => setAgainst(event.target.value)}
            className="mt-1 w-full max-w-full rounded-md border border-slate-400 bg-white px-2 py-1 text-sm"
          >
            <option value="live">the live database</option>
            {others.map((other) => (
              <option key={other} value={other}>
                {other}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          disabled={running || start.isPending}
          className="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600 disabled:opacity-50"
        >
          Compare with this backup
        </button>
      </form>
      <div className="mt-3 space-y-2">
        {start.isError && (
          <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
            {start.error.message}
          </p>
        )}
        {pollError && (
          <p role="alert" className="text-sm text-red-900">
            {pollError.message}
          </p>
        )}
        {job && <ComparisonProgress job={job} onCancel={() => cancel.mutate()} />}
        {job?.result && (
          <>
            <p className="text-sm text-slate-700">
              From <strong>{job.result.from}</strong> to <strong>{job.result.to}</strong>:
            </p>
            <ComparisonView comparison={job.result} />
          </>
        )}
      </div>
    </section>
  );
}

export function BackupInspector({ name, others }: { name: string; others: string[] }) {
  const inspection = useQuery({
    queryKey: ["backup-inspect", name],
    queryFn: () => apiRequest<Inspection>(`/api/admin/backups/${encodeURIComponent(name)}/inspect`),
    staleTime: Infinity,
  });
  if (inspection.isPending) return <p className="text-sm text-slate-600">Reading the backup…</p>;
  if (inspection.isError) {
    return (
      <p
        role="alert"
        className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900"
        data-testid="inspect-error"
      >
        {inspection.error.message}
      </p>
    );
  }
  return (
    <>
      <DomainViews domain={inspection.data.domain} />
      <Tables name={name} contents={inspection.data} />
      <Compare name={name} others={others} />
    </>
  );
}
