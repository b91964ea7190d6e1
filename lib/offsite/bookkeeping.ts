// Whether two backups hold the same data apart from Opstage's own record of its backups. Every
// scheduled run writes that record into the database it then backs up (the run's audit rows, the
// schedule's last run, the proof's and the offsite copy's audit rows, alert deliveries), so two
// scheduled backups of an unchanged database never have the same sha256: an offsite copy is
// shared between them only when a comparison (lib/inspect) finds nothing else that differs.
import type { Cell, Comparison, TableDiff } from "../inspect/types";

/**
 * The audit actions written by backups, their proofs, retention, offsite copies and alert
 * delivery: nothing a person changed in the data. Listed one by one (not `backup.*`): a new
 * action counts as data until it is added here.
 */
export const BOOKKEEPING_AUDIT_ACTIONS: readonly string[] = [
  "backup.sqlite.created",
  "backup.sqlite.failed",
  "backup.verified",
  "backup.verify.error",
  "backup.deleted",
  "backup.offsite.copied",
  "backup.offsite.reused",
  "backup.offsite.failed",
  "backup.offsite.deleted",
  "alert.delivered",
  "alert.failed",
];

/** The schedule's record of its last run (lib/backup/schedule.ts LAST_RUN_KEY), rewritten each run. */
export const SCHEDULE_LAST_RUN_KEY = "backup.schedule.lastRun";

/** The alert outbox: rows come and go as alerts are delivered. */
const ALERT_OUTBOX_TABLE = "AlertDelivery";

/**
 * How many differing rows of these tables the comparison returns: all of them up to this many, so
 * that each can be judged. More than this many is more than a few runs' bookkeeping: not shared.
 */
export const BOOKKEEPING_SAMPLE_ROWS: Record<string, number> = { AuditEvent: 500, SystemSetting: 50 };

export type BookkeepingVerdict = { onlyBookkeeping: true } | { onlyBookkeeping: false; reason: string };

function differingRows(diff: TableDiff): Cell[][] | null {
  const { added, removed, changed } = diff.first;
  // A sample shorter than its count leaves rows unseen: they cannot be judged.
  if (added.length < diff.added || removed.length < diff.removed || changed.length < diff.changed) return null;
  return [...added, ...removed, ...changed.flatMap((row) => [row.before, row.after])];
}

function rowsWhere(diff: TableDiff, column: string, allowed: (value: Cell) => boolean, what: string): string | null {
  const rows = differingRows(diff);
  if (!rows) return `${diff.added + diff.removed + diff.changed} ${diff.table} rows differ`;
  const index = diff.columns.indexOf(column);
  if (index < 0) return `${diff.table} has no ${column} column`;
  const other = rows.find((row) => !allowed(row[index] ?? null));
  return other ? `${diff.table}: ${what} ${String(other[index])}` : null;
}

/**
 * Given a comparison of two backups, whether only bookkeeping differs: AuditEvent rows whose
 * action is one of BOOKKEEPING_AUDIT_ACTIONS (added, removed or changed), the alert outbox, and
 * the schedule's last-run setting. Anything else (a user, a token, a session's last-seen, another
 * audit event, a table or column on one side only) is data, and says which.
 */
export function onlyBookkeepingDiffers(comparison: Comparison): BookkeepingVerdict {
  for (const diff of comparison.tables) {
    if (diff.table === ALERT_OUTBOX_TABLE) continue;
    if (diff.only) return { onlyBookkeeping: false, reason: `table ${diff.table} is in one backup only` };
    if (diff.columnsOnOneSide) return { onlyBookkeeping: false, reason: `${diff.table} has other columns` };
    let reason: string | null;
    if (diff.table === "AuditEvent") {
      reason = rowsWhere(
        diff,
        "action",
        (action) => typeof action === "string" && BOOKKEEPING_AUDIT_ACTIONS.includes(action),
        "audit event",
      );
    } else if (diff.table === "SystemSetting") {
      reason = rowsWhere(diff, "key", (key) => key === SCHEDULE_LAST_RUN_KEY, "setting");
    } else {
      const count = diff.added + diff.removed + diff.changed;
      reason = `${diff.table}: ${count} row${count === 1 ? "" : "s"} differ`;
    }
    if (reason) return { onlyBookkeeping: false, reason };
  }
  return { onlyBookkeeping: true };
}
