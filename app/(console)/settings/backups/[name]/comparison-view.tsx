"use client";
// A comparison as the owner reads it: the readable lines first ("alice: viewer → owner",
// "1,204 audit events removed"), then per table the rows added, removed and changed, each with
// its first rows. Secrets arrive masked from the server. Used by the backup's page and by the
// restore dialog's preview.
import type { Cell, Comparison, ComparisonJob, TableDiff } from "@/lib/inspect/types";

const count = (n: number) => n.toLocaleString("en-US");

/** A cell as text, cut at `max` characters (a long message or JSON value would push the row wide). */
export function showCell(cell: Cell, max = 80): string {
  if (cell === null) return "NULL";
  const text = String(cell);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const show = (cell: Cell) => showCell(cell);

function RowList({ title, columns, rows }: { title: string; columns: string[]; rows: Cell[][] }) {
  if (rows.length === 0) return null;
  return (
    <div className="mt-2">
      <p className="text-xs font-medium text-slate-700">{title}</p>
      <ul className="mt-1 space-y-1">
        {rows.map((row, i) => (
          <li key={i} className="rounded bg-slate-50 px-2 py-1 font-mono text-xs break-all text-slate-800">
            {columns.map((column, j) => `${column}=${show(row[j] ?? null)}`).join("  ")}
          </li>
        ))}
      </ul>
    </div>
  );
}

function TableDetails({ diff }: { diff: TableDiff }) {
  const more = (n: number, shown: number) => (n > shown ? ` (first ${shown} of ${count(n)})` : "");
  return (
    <details
      className="rounded-md border border-slate-200 px-3 py-2"
      data-testid="compare-table"
      data-table={diff.table}
    >
      <summary className="cursor-pointer text-sm">
        <span className="font-medium">{diff.table}</span>
        {diff.only === "from" && " — only before"}
        {diff.only === "to" && " — only after"}:{" "}
        <span data-testid="compare-counts">
          {count(diff.added)} added, {count(diff.removed)} removed, {count(diff.changed)} changed
        </span>
      </summary>
      {diff.columnsOnOneSide && (
        <p className="mt-1 text-xs text-slate-700">
          Columns on one side only (not compared): {diff.columnsOnOneSide.join(", ")}
        </p>
      )}
      <RowList
        title={`Added${more(diff.added, diff.first.added.length)}`}
        columns={diff.columns}
        rows={diff.first.added}
      />
      <RowList
        title={`Removed${more(diff.removed, diff.first.removed.length)}`}
        columns={diff.columns}
        rows={diff.first.removed}
      />
      {diff.first.changed.length > 0 && (
        <div className="mt-2">
          <p className="text-xs font-medium text-slate-700">Changed{more(diff.changed, diff.first.changed.length)}</p>
          <ul className="mt-1 space-y-1">
            {diff.first.changed.map((change, i) => (
              <li key={i} className="rounded bg-slate-50 px-2 py-1 font-mono text-xs break-all text-slate-800">
                {diff.key.join(",")}={change.key.map(show).join(",")}:{" "}
                {change.columns
                  .map((column) => {
                    const at = diff.columns.indexOf(column);
                    return `${column} ${show(change.before[at] ?? null)} → ${show(change.after[at] ?? null)}`;
                  })
                  .join("; ")}
              </li>
            ))}
          </ul>
        </div>
      )}
    </details>
  );
}

export function ComparisonView({
  comparison,
  kept = [],
}: {
  comparison: Comparison;
  /** Line prefixes a restore does not apply (settings it keeps from this instance), shown apart. */
  kept?: string[];
}) {
  if (comparison.identical) {
    return (
      <p
        className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
        data-testid="compare-identical"
      >
        No difference: every table holds the same rows.
      </p>
    );
  }
  const isKept = (line: string) => kept.some((prefix) => line.startsWith(prefix));
  const applied = comparison.domain.filter((line) => !isKept(line));
  const keptLines = comparison.domain.filter(isKept);
  return (
    <div className="space-y-3" data-testid="comparison">
      {applied.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-sm text-slate-900" data-testid="compare-domain">
          {applied.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {keptLines.length > 0 && (
        <div className="text-sm text-slate-700" data-testid="compare-kept">
          <p>Differs, but kept from this instance by the restore:</p>
          <ul className="list-disc pl-5">
            {keptLines.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="space-y-2">
        {comparison.tables.map((diff) => (
          <TableDetails key={diff.table} diff={diff} />
        ))}
      </div>
      <p className="text-xs text-slate-600">
        {count(comparison.unchangedTables)} other table{comparison.unchangedTables === 1 ? "" : "s"} unchanged ·
        compared in {(comparison.durationMs / 1000).toFixed(1)} s
      </p>
    </div>
  );
}

/** A running comparison's progress bar, or how it ended. */
export function ComparisonProgress({ job, onCancel }: { job: ComparisonJob; onCancel?: () => void }) {
  if (job.state === "running") {
    const { done = 0, total = 0, table = "" } = job.progress ?? {};
    const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
    return (
      <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="compare-progress">
        <progress max={100} value={percent} aria-label="Comparison progress" className="h-2 w-48" />
        <span aria-live="polite">
          Comparing… {percent} %{table ? ` (${table})` : ""}
        </span>
        {onCancel && (
          <button
            type="button"
            onClick={onCancel}
            className="rounded-md border border-slate-400 px-2 py-0.5 text-xs text-slate-800 hover:bg-slate-50"
          >
            Cancel comparison
          </button>
        )}
      </div>
    );
  }
  if (job.state === "cancelled") return <p className="text-sm text-slate-700">The comparison was cancelled.</p>;
  if (job.state === "failed") {
    return (
      <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
        The comparison failed: {job.error?.message}
      </p>
    );
  }
  return null;
}
