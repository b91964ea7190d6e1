// Compares two Opstage database files, both open read-only on one connection: `from` as main,
// `to` ATTACHed as "other" (an ATTACH inherits the connection's read-only open). Runs inside the
// inspect worker.
//
// Per table, rows are matched by primary key. Two files of the same database keep most rows at
// the same rowid (SQLite never moves a row; a backup is a copy of its pages), so the work is a
// join on rowid, done by SQLite in rowid ranges: both tables are read in file order, and only
// rows that differ at the same rowid come back to JavaScript. Such a row is then looked up by
// primary key on the other side (it may live at another rowid there). Memory stays flat — no
// side is loaded or sorted — and each rowid range is a progress step. Measured through the
// server (bench/inspect-bench.ts), two 1 GB files with 1 % of rows different: 4.3 s, 6× a `cp` +
// fsync of one of them from a warm page cache (0.7 s), 2× when the disk is busy; RSS +42 MB at most.
import { domainView, hasTable, quoteName, tableShape, tableNames, toCell, type Db, type TableShape } from "./read";
import { rowMasker } from "./secrets";
import type { Cell, ChangedRow, CompareProgress, Comparison, DomainView, TableDiff } from "./types";

export const FIRST_ROWS = 5;
const ROWID_STEP = 50_000;

const MAIN = "main";
const OTHER = "other";

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return false;
}

type Sink = {
  diff: TableDiff;
  mask: (row: Cell[]) => Cell[];
  keyIndexes: number[];
};

function newDiff(table: string, shape: TableShape): TableDiff {
  return {
    table,
    columns: shape.columns,
    key: shape.key,
    added: 0,
    removed: 0,
    changed: 0,
    first: { added: [], removed: [], changed: [] },
  };
}

function addRow(sink: Sink, kind: "added" | "removed", row: unknown[]): void {
  sink.diff[kind]++;
  if (sink.diff.first[kind].length < FIRST_ROWS) sink.diff.first[kind].push(sink.mask(row.map(toCell)));
}

function changeRow(sink: Sink, before: unknown[], after: unknown[]): void {
  sink.diff.changed++;
  if (sink.diff.first.changed.length >= FIRST_ROWS) return;
  const columns = sink.diff.columns.filter((_, i) => !sameValue(before[i], after[i]));
  const maskedBefore = sink.mask(before.map(toCell));
  const change: ChangedRow = {
    key: sink.keyIndexes.map((i) => maskedBefore[i]!),
    columns,
    before: maskedBefore,
    after: sink.mask(after.map(toCell)),
  };
  sink.diff.first.changed.push(change);
}

function sameRow(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
}

/** A whole table on one side only: every row added (or removed). */
function oneSided(db: Db, schema: string, table: string, kind: "added" | "removed"): TableDiff {
  const shape = tableShape(db, table, schema);
  const diff = newDiff(table, shape);
  diff.only = kind === "added" ? "to" : "from";
  const sink: Sink = { diff, mask: rowMasker(table, shape.columns), keyIndexes: [] };
  const source = `${quoteName(schema)}.${quoteName(table)}`;
  const count = (db.prepare(`SELECT COUNT(*) AS n FROM ${source}`).get() as { n: number }).n;
  const first = db
    .prepare(`SELECT ${shape.columns.map(quoteName).join(", ")} FROM ${source} LIMIT ${FIRST_ROWS}`)
    .raw()
    .all() as unknown[][];
  for (const row of first) addRow(sink, kind, row);
  diff[kind] = count;
  return diff;
}

function rowidSpan(db: Db, table: string): { min: number; max: number } | null {
  const span = (schema: string) =>
    db.prepare(`SELECT MIN(rowid) AS min, MAX(rowid) AS max FROM ${quoteName(schema)}.${quoteName(table)}`).get() as {
      min: number | null;
      max: number | null;
    };
  const a = span(MAIN);
  const b = span(OTHER);
  const mins = [a.min, b.min].filter((v): v is number => v !== null);
  const maxs = [a.max, b.max].filter((v): v is number => v !== null);
  if (mins.length === 0) return null;
  return { min: Math.min(...mins), max: Math.max(...maxs) };
}

type Plan = {
  table: string;
  shape: TableShape;
  /** The columns both files have, in `from`'s order. */
  columns: string[];
  columnsOnOneSide: string[];
  span: { min: number; max: number } | null;
  /** Both sides have rowids: ranges and the rowid join; else a primary-key join in one go. */
  byRowid: boolean;
};

function planTable(db: Db, table: string): Plan {
  const from = tableShape(db, table, MAIN);
  const to = tableShape(db, table, OTHER);
  const columns = from.columns.filter((column) => to.columns.includes(column));
  const columnsOnOneSide = [
    ...from.columns.filter((column) => !to.columns.includes(column)),
    ...to.columns.filter((column) => !from.columns.includes(column)),
  ];
  const samePk = from.key.join("\0") === to.key.join("\0");
  const byRowid = from.hasRowid && to.hasRowid;
  // A table whose key changed between versions: matched by rowid alone.
  const shape: TableShape = { ...from, columns, key: samePk ? from.key : ["rowid"] };
  return { table, shape, columns, columnsOnOneSide, span: byRowid ? rowidSpan(db, table) : null, byRowid };
}

function compareByRowid(db: Db, plan: Plan, sink: Sink, step: (units: number) => void): void {
  const { table, columns, shape } = plan;
  const x = (c: string) => `x.${quoteName(c)}`;
  const y = (c: string) => `y.${quoteName(c)}`;
  const equal = columns.map((c) => `${x(c)} IS ${y(c)}`).join(" AND ");
  const keyIsRowid = shape.key.length === 1 && (shape.key[0] === "rowid" || isRowidAlias(db, table, shape.key[0]!));
  const keyDiffers = keyIsRowid ? "0" : shape.key.map((c) => `${x(c)} IS NOT ${y(c)}`).join(" OR ");
  const fromTable = `${MAIN}.${quoteName(table)}`;
  const toTable = `${OTHER}.${quoteName(table)}`;
  const n = columns.length;
  // from's rows that are not the same row at the same rowid in `to`.
  const fromSide = db
    .prepare(
      `SELECT ${columns.map(x).join(", ")}, y.rowid IS NOT NULL, ${columns.map(y).join(", ")}
       FROM ${fromTable} AS x LEFT JOIN ${toTable} AS y ON y.rowid = x.rowid
       WHERE x.rowid BETWEEN ? AND ? AND (y.rowid IS NULL OR NOT (${equal}))`,
    )
    .raw();
  // to's rows whose rowid in `from` is free or holds another key: added unless found by key.
  const toSide = db
    .prepare(
      `SELECT ${columns.map(y).join(", ")}
       FROM ${toTable} AS y LEFT JOIN ${fromTable} AS x ON x.rowid = y.rowid
       WHERE y.rowid BETWEEN ? AND ? AND (x.rowid IS NULL OR ${keyDiffers})`,
    )
    .raw();
  const keyIndexes = shape.key.map((c) => columns.indexOf(c));
  const byKey = (schema: string) =>
    keyIsRowid
      ? null
      : db
          .prepare(
            `SELECT ${columns.map(quoteName).join(", ")} FROM ${schema}.${quoteName(table)} WHERE ${shape.key
              .map((c) => `${quoteName(c)} IS ?`)
              .join(" AND ")}`,
          )
          .raw();
  const findInTo = byKey(OTHER);
  const findInFrom = byKey(MAIN);
  const keyOf = (row: unknown[]) => keyIndexes.map((i) => row[i]);
  const span = plan.span!;
  // Ranges of ROWID_STEP rowids, or, when the rowids are sparse (an INTEGER PRIMARY KEY of
  // random values in a foreign table), ranges of ROWID_STEP rows of `from`: fixed steps would
  // then be mostly empty and never end. (Finding those bounds reads the rows once more, so
  // it is only done when needed.)
  const rows = (schema: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${schema}.${quoteName(table)}`).get() as { n: number }).n;
  const sparse = span.max - span.min > 4 * (rows(MAIN) + rows(OTHER)) + ROWID_STEP;
  const nthRowid = db
    .prepare(`SELECT rowid FROM ${fromTable} WHERE rowid >= ? ORDER BY rowid LIMIT 1 OFFSET ${ROWID_STEP}`)
    .pluck();
  const highAfter = (low: number) => {
    if (!sparse) return Math.min(span.max, low + ROWID_STEP - 1);
    const bound = nthRowid.get(low) as number | undefined;
    return bound === undefined ? span.max : bound - 1;
  };
  for (let low = span.min, high = highAfter(low); low <= span.max; low = high + 1, high = highAfter(low)) {
    for (const row of fromSide.iterate(low, high) as IterableIterator<unknown[]>) {
      const before = row.slice(0, n);
      const hasTo = row[n] === 1;
      const after = row.slice(n + 1);
      if (hasTo && (keyIsRowid || keyOf(before).every((v, i) => sameValue(v, keyOf(after)[i])))) {
        changeRow(sink, before, after);
        continue;
      }
      if (keyIsRowid) {
        addRow(sink, "removed", before);
        continue;
      }
      const elsewhere = findInTo!.get(...keyOf(before)) as unknown[] | undefined;
      if (!elsewhere) addRow(sink, "removed", before);
      else if (!sameRow(before, elsewhere)) changeRow(sink, before, elsewhere);
    }
    for (const row of toSide.iterate(low, high) as IterableIterator<unknown[]>) {
      // Present in `from` under its key: compared from that side already.
      if (!keyIsRowid && findInFrom!.get(...keyOf(row))) continue;
      addRow(sink, "added", row);
    }
    step(high - low + 1);
  }
}

function isRowidAlias(db: Db, table: string, column: string): boolean {
  const info = db.prepare(`SELECT type, pk FROM pragma_table_info(?, ?) WHERE name = ?`).get(table, MAIN, column) as
    { type: string; pk: number } | undefined;
  return info !== undefined && info.pk === 1 && info.type.toUpperCase() === "INTEGER";
}

/** WITHOUT ROWID tables (Opstage has none; a foreign table might): one primary-key join each way. */
function compareByKey(db: Db, plan: Plan, sink: Sink): void {
  const { table, columns, shape } = plan;
  const x = (c: string) => `x.${quoteName(c)}`;
  const y = (c: string) => `y.${quoteName(c)}`;
  const on = shape.key.map((c) => `${x(c)} IS ${y(c)}`).join(" AND ");
  const equal = columns.map((c) => `${x(c)} IS ${y(c)}`).join(" AND ");
  const n = columns.length;
  const fromTable = `${MAIN}.${quoteName(table)}`;
  const toTable = `${OTHER}.${quoteName(table)}`;
  const fromSide = db
    .prepare(
      `SELECT ${columns.map(x).join(", ")}, y.${quoteName(shape.key[0]!)} IS NOT NULL, ${columns.map(y).join(", ")}
       FROM ${fromTable} AS x LEFT JOIN ${toTable} AS y ON ${on} WHERE NOT (${equal}) OR y.${quoteName(shape.key[0]!)} IS NULL`,
    )
    .raw();
  for (const row of fromSide.iterate() as IterableIterator<unknown[]>) {
    if (row[n] === 1) changeRow(sink, row.slice(0, n), row.slice(n + 1));
    else addRow(sink, "removed", row.slice(0, n));
  }
  const toSide = db
    .prepare(
      `SELECT ${columns.map(y).join(", ")} FROM ${toTable} AS y WHERE NOT EXISTS (SELECT 1 FROM ${fromTable} AS x WHERE ${on})`,
    )
    .raw();
  for (const row of toSide.iterate() as IterableIterator<unknown[]>) addRow(sink, "added", row);
}

const count = (n: number) => n.toLocaleString("en-US");

type UserSecrets = { id: string; username: string; passwordHash: string | null; role: string; status: string };

function userRows(db: Db, schema: string): Map<string, UserSecrets> {
  if (!hasTable(db, schema, "User")) return new Map();
  const rows = db
    .prepare(`SELECT id, username, passwordHash, role, status FROM ${schema}."User"`)
    .all() as UserSecrets[];
  return new Map(rows.map((row) => [row.id, row]));
}

function tokenRows(db: Db, schema: string): Map<string, { name: string; state: string }> {
  const view = domainView(db, schema);
  return new Map(view.tokens.map((token) => [token.id, { name: token.name, state: token.state }]));
}

const lower = (status: string) => status.toLowerCase();

/**
 * The readable lines of what changes from `from` to `to` in the domain tables. Secrets are
 * compared here, inside the worker, and only said to differ ("alice: password differs").
 */
export function domainLines(db: Db, tables: TableDiff[], views: { from: DomainView; to: DomainView }): string[] {
  const lines: string[] = [];
  const fromUsers = userRows(db, MAIN);
  const toUsers = userRows(db, OTHER);
  const fromTwoFactor = new Map(views.from.users.map((u) => [u.username, u.twoFactor]));
  const toTwoFactor = new Map(views.to.users.map((u) => [u.username, u.twoFactor]));
  for (const [id, a] of fromUsers) {
    const b = toUsers.get(id);
    if (!b) {
      lines.push(`user ${a.username} removed`);
      continue;
    }
    if (a.username !== b.username) lines.push(`user ${a.username} → ${b.username} (renamed)`);
    if (a.role !== b.role) lines.push(`${b.username}: ${a.role} → ${b.role}`);
    if (a.status !== b.status) lines.push(`${b.username}: ${lower(a.status)} → ${lower(b.status)}`);
    if (a.passwordHash !== b.passwordHash) lines.push(`${b.username}: password differs`);
    const f = fromTwoFactor.get(a.username) ?? "off";
    const t = toTwoFactor.get(b.username) ?? "off";
    if (f !== t) lines.push(`${b.username}: two-factor ${f} → ${t}`);
  }
  for (const [id, b] of toUsers) if (!fromUsers.has(id)) lines.push(`user ${b.username} added (${b.role})`);

  const fromTokens = tokenRows(db, MAIN);
  const toTokens = tokenRows(db, OTHER);
  for (const [id, a] of fromTokens) {
    const b = toTokens.get(id);
    if (!b) lines.push(`token ${a.name}: ${a.state} → gone`);
    else if (a.state !== b.state) lines.push(`token ${b.name}: ${a.state} → ${b.state}`);
  }
  for (const [id, b] of toTokens) if (!fromTokens.has(id)) lines.push(`token ${b.name}: none → ${b.state}`);

  const cron = (view: DomainView) => (view.schedule ? (view.schedule.cron ?? "off") : "not set");
  if (cron(views.from) !== cron(views.to)) lines.push(`schedule: ${cron(views.from)} → ${cron(views.to)}`);
  const keep = (view: DomainView) => view.schedule?.keep ?? null;
  if (keep(views.from) !== keep(views.to) && views.from.schedule && views.to.schedule) {
    lines.push(`schedule keeps: ${keep(views.from) ?? "default"} → ${keep(views.to) ?? "default"}`);
  }
  const target = (view: DomainView) =>
    view.offsite
      ? `${view.offsite.endpoint ? `${view.offsite.endpoint} ` : ""}s3://${view.offsite.bucket}/${view.offsite.prefix}${view.offsite.encrypted ? " (encrypted)" : ""}`
      : "none";
  if (target(views.from) !== target(views.to))
    lines.push(`offsite target: ${target(views.from)} → ${target(views.to)}`);
  const settings = tables.find((t) => t.table === "SystemSetting");
  if (settings && target(views.from) === target(views.to) && views.from.offsite) {
    // The secret itself is never shown: say only whether it differs.
    const secret = (schema: string) =>
      (
        db
          .prepare(
            `SELECT json_extract(valueJson, '$.secretAccessKey') AS s FROM ${schema}."SystemSetting" WHERE key = 'offsite.target'`,
          )
          .get() as { s: string | null } | undefined
      )?.s ?? null;
    if (secret(MAIN) !== secret(OTHER)) lines.push("offsite target: secret access key differs");
  }

  const fromChannels = new Map(views.from.alertChannels.map((c) => [c.id, c]));
  const toChannels = new Map(views.to.alertChannels.map((c) => [c.id, c]));
  for (const [id, a] of fromChannels) {
    const b = toChannels.get(id);
    if (!b) lines.push(`alert channel ${a.name} removed`);
    else {
      if (a.enabled !== b.enabled)
        lines.push(`alert channel ${b.name}: ${a.enabled ? "on" : "off"} → ${b.enabled ? "on" : "off"}`);
      if (a.events.join(",") !== b.events.join(",")) lines.push(`alert channel ${b.name}: events differ`);
    }
  }
  for (const [id, b] of toChannels) if (!fromChannels.has(id)) lines.push(`alert channel ${b.name} added (${b.type})`);

  const audit = tables.find((t) => t.table === "AuditEvent");
  if (audit?.removed) lines.push(`${count(audit.removed)} audit event${audit.removed === 1 ? "" : "s"} removed`);
  if (audit?.added) lines.push(`${count(audit.added)} audit event${audit.added === 1 ? "" : "s"} added`);
  if (audit?.changed) lines.push(`${count(audit.changed)} audit event${audit.changed === 1 ? "" : "s"} changed`);
  return lines;
}

/** Compares `main` (from) with the ATTACHed `other` (to), inside one read transaction on both. */
export function compareAttached(
  db: Db,
  labels: { from: string; to: string },
  onProgress: (progress: CompareProgress) => void,
): Comparison {
  const started = Date.now();
  db.exec("BEGIN");
  try {
    const fromTables = tableNames(db, MAIN);
    const toTables = tableNames(db, OTHER);
    const diffs: TableDiff[] = [];
    for (const table of fromTables.filter((t) => !toTables.includes(t)))
      diffs.push(oneSided(db, MAIN, table, "removed"));
    for (const table of toTables.filter((t) => !fromTables.includes(t)))
      diffs.push(oneSided(db, OTHER, table, "added"));
    const plans = fromTables.filter((t) => toTables.includes(t)).map((t) => planTable(db, t));
    const total = plans.reduce((sum, plan) => sum + (plan.span ? plan.span.max - plan.span.min + 1 : 1), 0);
    let done = 0;
    let lastReport = 0;
    const report = (table: string, force = false) => {
      const now = Date.now();
      if (!force && now - lastReport < 200) return;
      lastReport = now;
      onProgress({ done, total, table });
    };
    let unchanged = 0;
    for (const plan of plans) {
      report(plan.table, true);
      const diff = newDiff(plan.table, plan.shape);
      if (plan.columnsOnOneSide.length > 0) diff.columnsOnOneSide = plan.columnsOnOneSide;
      const sink: Sink = {
        diff,
        mask: rowMasker(plan.table, plan.columns),
        keyIndexes: plan.shape.key.map((c) => plan.columns.indexOf(c)).filter((i) => i >= 0),
      };
      if (plan.byRowid && !plan.span)
        done += 1; // empty on both sides
      else if (plan.byRowid) {
        compareByRowid(db, plan, sink, (units) => {
          done += units;
          report(plan.table);
        });
      } else {
        compareByKey(db, plan, sink);
        done += 1;
      }
      if (diff.added + diff.removed + diff.changed > 0 || diff.columnsOnOneSide) diffs.push(diff);
      else unchanged++;
    }
    report("", true);
    const views = { from: domainView(db, MAIN), to: domainView(db, OTHER) };
    const domain = domainLines(db, diffs, views);
    diffs.sort((a, b) => a.table.localeCompare(b.table));
    return {
      from: labels.from,
      to: labels.to,
      identical: diffs.length === 0,
      domain,
      tables: diffs,
      unchangedTables: unchanged,
      durationMs: Date.now() - started,
    };
  } finally {
    db.exec("COMMIT");
  }
}
