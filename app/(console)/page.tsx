import Link from "next/link";
import { recentAuditEvents } from "@/lib/audit/queries";
import { backupHealth } from "@/lib/system/backup-health";
import { getConfig } from "@/lib/config";
import { getAppDatabase } from "@/lib/db/app-database";
import { collectDiagnostics } from "@/lib/system/diagnostics";
import { formatBytes } from "@/lib/format";
import { formatInZone } from "@/lib/time-format";
import { AuditTarget } from "./audit-target";
import { BackupHealthCard } from "./backup-health-card";
import { EmptyRow } from "./empty-row";
import { requirePageRole } from "./require-page-role";
import { ScrollRegion } from "./scroll-region";

export const metadata = { title: "Overview · Opstage CE" };

export default async function OverviewPage() {
  const actor = await requirePageRole("viewer");
  const diagnostics = collectDiagnostics(getConfig(), getAppDatabase());
  const events = await recentAuditEvents(actor, 10);
  const health = await backupHealth(getConfig());
  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-semibold">Overview</h1>
      {/* The state first: whether the data is safe matters more than the version. */}
      <BackupHealthCard health={health} />
      <div className="grid gap-4 sm:grid-cols-3">
        <Card label="Version" value={`${diagnostics.version} (${diagnostics.edition})`} />
        <Card label="Database size" value={formatBytes(diagnostics.databaseBytes)} />
        <Card label="Latest migration" value={diagnostics.migrations.latest ?? "—"} />
      </div>
      <section>
        <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
          <h2 className="text-lg font-medium">Recent activity</h2>
          <span className="flex flex-wrap gap-x-4 text-sm">
            <Link href="/settings/audit" className="text-indigo-700 underline hover:text-indigo-900">
              Audit log →
            </Link>
            <Link href="/settings/diagnostics" className="text-indigo-700 underline hover:text-indigo-900">
              Backups and diagnostics →
            </Link>
          </span>
        </div>
        <ScrollRegion label="Recent activity" className="rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm">
            <thead className="bg-slate-50 text-left text-slate-600">
              <tr>
                <th className="px-4 py-2 font-medium">When</th>
                <th className="px-4 py-2 font-medium">Action</th>
                <th className="px-4 py-2 font-medium">Result</th>
                <th className="px-4 py-2 font-medium">Target</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id} className="border-t border-slate-100">
                  <td className="px-4 py-2 whitespace-nowrap text-slate-600">
                    {formatInZone(event.createdAt, "UTC", true)}
                  </td>
                  <td className="px-4 py-2 font-mono text-xs">{event.action}</td>
                  <td className="px-4 py-2">{event.result}</td>
                  <td className="px-4 py-2 text-slate-600">
                    <AuditTarget event={event} />
                  </td>
                </tr>
              ))}
              {events.length === 0 && <EmptyRow columns={4}>Nothing yet.</EmptyRow>}
            </tbody>
          </table>
        </ScrollRegion>
      </section>
    </div>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div className="min-w-0 rounded-lg border border-slate-200 bg-white p-4">
      <div className="text-xs uppercase tracking-wide text-slate-600">{label}</div>
      <div className="mt-1 truncate font-medium" title={value}>
        {value}
      </div>
    </div>
  );
}
