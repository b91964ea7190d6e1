"use client";
import { useQuery } from "@tanstack/react-query";
import type { Diagnostics } from "@/lib/system/diagnostics";
import { formatBytes } from "@/lib/format";

async function fetchDiagnostics(): Promise<Diagnostics> {
  const response = await fetch("/api/admin/diagnostics", { cache: "no-store" });
  if (!response.ok) throw new Error(`diagnostics: HTTP ${response.status}`);
  return response.json();
}

export function DiagnosticsPanel({ initial }: { initial: Diagnostics }) {
  // DB and WAL sizes change while the console runs: refresh every 10 s.
  const { data, isError } = useQuery({
    queryKey: ["diagnostics"],
    queryFn: fetchDiagnostics,
    initialData: initial,
    refetchInterval: 10_000,
  });
  const m = data.migrations;
  const rows: [string, string, string?][] = [
    ["Version", data.version, "app-version"],
    ["Edition", data.edition],
    ["Git commit", data.commit ?? "unknown"],
    ["Build time", data.buildTime ?? "unknown"],
    ["Node.js", data.node],
    ["SQLite", data.sqlite],
    ["Data directory", data.dataDir],
    ["Backup directory", data.backupDir],
    ["Database file", formatBytes(data.databaseBytes)],
    ["WAL file", formatBytes(data.walBytes)],
    ["Journal mode", data.journalMode],
    ["Migrations applied", `${m.applied}${m.latest ? ` (latest: ${m.latest})` : ""}`],
    ["Migrations pending", String(m.pending)],
    ["Litestream", data.litestream, "litestream-version"],
    ["Replication", data.replication, "replication-state"],
  ];
  return (
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
      {(m.error || isError) && (
        <p role="alert" className="border-t border-slate-100 px-6 py-3 text-sm text-red-700">
          {m.error ?? "Could not refresh; showing the last known values."}
        </p>
      )}
    </section>
  );
}
