// A stored backup's verdict (lib/backup/verdict.ts), looking the same on every page.
import type { Verdict } from "@/lib/backup/verdict";

const TONE: Record<Verdict["state"], string> = {
  restorable: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  "not verified": "bg-slate-100 text-slate-700 ring-slate-300",
  newer: "bg-amber-50 text-amber-900 ring-amber-200",
  bad: "bg-red-50 text-red-800 ring-red-200",
};

export function VerdictBadge({ verdict }: { verdict: Verdict }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2">
      <span
        title={verdict.detail}
        data-testid="verdict"
        data-state={verdict.state}
        className={`inline-block rounded px-1.5 py-0.5 text-xs whitespace-nowrap ring-1 ring-inset ${TONE[verdict.state]}`}
      >
        {verdict.label}
      </span>
      {verdict.proven && (
        <span data-testid="proven" className="text-xs text-slate-600">
          {verdict.proven}
        </span>
      )}
    </span>
  );
}
