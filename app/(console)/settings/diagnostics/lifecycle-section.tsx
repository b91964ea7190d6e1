import { lifecycleFacts } from "@/lib/system/lifecycle-facts";
import { EmptyRow } from "../../empty-row";
import { ScrollRegion } from "../../scroll-region";
import { VerdictBadge } from "../../verdict-badge";
import { formatInZone } from "@/lib/time-format";

type Facts = Awaited<ReturnType<typeof lifecycleFacts>>;

export function LifecycleSection({ facts }: { facts: Facts }) {
  return (
    <section className="space-y-6 rounded-lg border border-slate-200 bg-white p-6" data-testid="lifecycle">
      <div>
        <h2 className="text-lg font-medium">Upgrades and restores</h2>
        <dl className="mt-2 grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500">Newest pre-upgrade snapshot</dt>
          <dd className="min-w-0 font-mono text-xs leading-5 break-all" data-testid="newest-pre-upgrade">
            {facts.newestPreUpgrade ?? "—"}
          </dd>
          <dt className="text-slate-500">Newest pre-restore snapshot</dt>
          <dd className="min-w-0 font-mono text-xs leading-5 break-all" data-testid="newest-pre-restore">
            {facts.newestPreRestore ?? "—"}
          </dd>
        </dl>
      </div>
      <ScrollRegion label="Upgrade history">
        <table className="w-full text-sm">
          <caption className="mb-2 text-left text-sm font-medium text-slate-700">Upgrade history</caption>
          <thead className="text-left text-slate-500">
            <tr>
              <th className="py-1 pr-3 font-medium">When</th>
              <th className="py-1 pr-3 font-medium">From → to</th>
              <th className="py-1 pr-3 font-medium">Migrations</th>
              <th className="py-1 font-medium">Snapshot taken first</th>
            </tr>
          </thead>
          <tbody>
            {facts.upgrades.map((row) => (
              <tr key={row.startedAt} className="border-t border-slate-100" data-testid="upgrade-row">
                <td className="py-1 pr-3 whitespace-nowrap">{formatInZone(row.startedAt, "UTC", true)}</td>
                <td className="py-1 pr-3">{`${row.fromVersion ?? "unknown"} → ${row.toVersion}`}</td>
                <td className="py-1 pr-3 font-mono text-xs">{row.migrations.join(", ")}</td>
                <td className="py-1 font-mono text-xs">{row.snapshotName ?? "—"}</td>
              </tr>
            ))}
            {facts.upgrades.length === 0 && <EmptyRow columns={4}>No upgrades recorded yet.</EmptyRow>}
          </tbody>
        </table>
      </ScrollRegion>
      <table className="w-full text-sm">
        <caption className="mb-2 text-left text-sm font-medium text-slate-700">
          Stored backups: can this version start on them? (the same verdict as on Backups)
        </caption>
        <thead className="sr-only">
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Verdict</th>
          </tr>
        </thead>
        <tbody>
          {facts.backups.map((entry) => (
            <tr key={entry.name} className="border-t border-slate-100">
              <td className="py-1 pr-3 font-mono text-xs break-all">{entry.name}</td>
              <td className="py-1 pr-3">{entry.kind}</td>
              <td className="py-1">
                <VerdictBadge verdict={entry.verdict} />
              </td>
            </tr>
          ))}
          {facts.backups.length === 0 && <EmptyRow columns={3}>No stored backups.</EmptyRow>}
        </tbody>
      </table>
    </section>
  );
}
