// The Overview's backup card: one line per source (local backups, offsite) with its state.
import type { BackupHealth, HealthState } from "@/lib/system/backup-health";
import { formatInZone } from "@/lib/time-format";

const TONE: Record<HealthState, string> = {
  ok: "bg-emerald-50 text-emerald-700",
  retrying: "bg-amber-50 text-amber-800",
  overdue: "bg-amber-50 text-amber-800",
  failing: "bg-red-50 text-red-700",
  unknown: "bg-slate-100 text-slate-600",
};

export function BackupHealthCard({ health }: { health: BackupHealth }) {
  return (
    <section
      data-testid="backup-health-card"
      data-state={health.state}
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <div className="flex items-center gap-2">
        <div className="text-xs uppercase tracking-wide text-slate-500">Backups</div>
        <span data-testid="backup-health-state" className={`rounded px-1.5 py-0.5 text-xs ${TONE[health.state]}`}>
          {health.state}
        </span>
      </div>
      <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        {health.rows.map((row) => (
          <div key={row.source} className="contents" data-testid="backup-health-row" data-source={row.source}>
            <dt className="text-slate-500">{row.label}</dt>
            <dd>
              <span className={`mr-2 rounded px-1.5 py-0.5 text-xs ${TONE[row.state]}`}>{row.state}</span>
              {row.at ? `${formatInZone(row.at, "UTC", true)} — ` : ""}
              {row.detail}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
