// A check that proves what PRAGMA integrity_check proves, in parts that run side by side on two
// threads (worker.ts checkIntegrityParallel runs them; worker-tasks.ts opens each thread's
// read-only connection). integrity_check is one thread's work, and most of it is one index
// lookup per row and index: on a 1 GB database whose rows are nearly all in one table with five
// indexes it took 8-10 s here, and PRAGMA integrity_check(TABLE) does not split one table.
//
// What integrity_check verifies is quick_check (every page and b-tree readable and well-formed,
// no page used twice or lost, a table's rowids in order, NOT NULL and CHECK constraints, and in
// SQLite 3.53 each index's entry count against its table's rows;
// https://sqlite.org/pragma.html#pragma_quick_check) plus, per index, what its lookups need:
// every row has its entry and the index has no other, the entries are in the index's order (a
// search through it finds them), and a UNIQUE index holds no two equal keys. The parts here are
// quick_check itself and, per index, reads that prove those without a lookup per row:
//   (a) the table read once through its own b-tree (NOT INDEXED), split into rowid ranges that
//       the threads share: per index, the rows counted and the multiset of their entries
//       (key columns, rowid) summed as 64-bit hashes, mod 2^64;
//   (b) each index read alone, in its stored order (a covering-index SCAN, checked in its query
//       plan before it runs): its entries counted and summed the same way; each entry compared
//       with the one before it as SQLite compares them (collation, DESC, then rowid) — quick_check
//       does not compare an index's keys with each other; for a UNIQUE index, no two adjacent
//       entries with equal keys and no NULL among them (SQLite's rule: NULLs are distinct);
//   (c) a sample of rows (the first, middle and last by rowid) looked up through the index, as queries
//       look rows up: the scan reads keys by position, so an index whose records have another
//       shape than its definition (more columns) would pass (a) and (b), and no search finds
//       anything in it. Only a lookup sees a record whose values read right but are encoded
//       otherwise (an extra field inside it, or the reserved serial type 11 where the row has
//       NULL): integrity_check looks up every row, this the sample.
// Equal counts and equal sums mean the index holds exactly its table's entries, unless a damage
// makes the differences cancel in the 64-bit sum: for damage that is not crafted,
// about one chance in 2^64 (a multiset hash: D. Clarke et al., "Incremental multiset hash
// functions", ASIACRYPT 2003). It is not a defence against someone crafting a file to pass: a
// file someone can write is one they can fill with any well-formed content anyway.
// Entries are hashed and compared by a SQLite extension in C (see "The check's SQL functions"),
// as SQLite compares values: an integer and a real that are equal alike, a number and text never,
// text by its bytes under its collation. A table with an index this cannot prove by reads — on an
// expression, partial, naming a column twice, on a WITHOUT ROWID table, under a collation other
// than SQLite's built-in ones, in a UTF-16 database (whose BINARY order is UTF-16's), with more
// indexed columns than a function call takes, or a query plan other than the expected one — is
// checked by integrity_check(TABLE), and the result names each fallback.
//
// Cost (1 GB, one 1.66 M-row table, five indexes, on this 2-core host): quick_check ~1.1 s, the
// table pass ~0.5 s, the index passes ~0.15-0.2 s each: ~2.5 s of CPU, 1.45-1.55 s on two
// threads, against integrity_check's 8-10 s on one.
import type Database from "better-sqlite3";

type Connection = Database.Database;

export type IndexColumn = { name: string; collation: Collation; descending: boolean };
/** The collations whose order the check knows (SQLite's built-in ones). */
export type Collation = "BINARY" | "NOCASE" | "RTRIM";
const COLLATIONS: readonly string[] = ["BINARY", "NOCASE", "RTRIM"];
export type IndexSpec = { index: string; columns: IndexColumn[]; unique: boolean };
export type CheckPart =
  | { kind: "quick_check" }
  /** (a) for the rows whose rowid is in [from, to) (null: unbounded), for every index. */
  | { kind: "rows"; table: string; rowid: string; indexes: IndexSpec[]; from: number | null; to: number | null }
  /** (b) for one index. */
  | { kind: "entries"; table: string; rowid: string; spec: IndexSpec }
  | { kind: "table"; table: string; reason: string };

/** A multiset hash of entries: a sum mod 2^64, as 16 hex digits (the extension's). */
export type EntrySum = string;

const SUM_MODULUS = 1n << 64n;

function addSums(a: EntrySum, b: EntrySum): EntrySum {
  return ((BigInt(`0x${a}`) + BigInt(`0x${b}`)) % SUM_MODULUS).toString(16).padStart(16, "0");
}

const NO_ENTRIES: EntrySum = "0".repeat(16);

/**
 * What a part found: problems (quick_check's and integrity_check(TABLE)'s own words), and the
 * counts and sums that verdict() compares across parts.
 */
export type PartResult = {
  problems: string[];
  fallback?: string;
  /** This part could not prove its table's indexes (and why): integrity_check(TABLE) checks it instead. */
  unprovable?: { table: string; reason: string };
  rows?: { table: string; rows: number; sums: Record<string, EntrySum> };
  entries?: {
    table: string;
    index: string;
    entries: number;
    sum: EntrySum;
    duplicates: number;
    disordered: number;
    /** Of the sampled rows (LOOKUP_SAMPLE), how many a search through the index did not find. */
    missing: number;
  };
};

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

type IndexListRow = { name: string; unique: number; origin: string; partial: number };
type IndexXinfoRow = { cid: number; name: string | null; coll: string; key: number; desc: number };
type TableListRow = { name: string; type: string; wr: number; schema: string };

/** The rowid's name on a table, unless columns shadow all three of its names. */
function rowidName(db: Connection, table: string): string | undefined {
  const columns = new Set(
    (db.pragma(`table_xinfo(${quote(table)})`) as { name: string }[]).map((column) => column.name.toLowerCase()),
  );
  return ["rowid", "_rowid_", "oid"].find((name) => !columns.has(name));
}

// A table's pass is split into about this many rowid ranges (equal spans of rowid values: the
// app's tables have dense rowids), so that two threads end within a range of each other.
const ROWID_RANGES = 8;

function rowidRanges(db: Connection, table: string, rowid: string): [number | null, number | null][] {
  // Two subqueries: SQLite answers a lone min() or max() of the rowid from the b-tree's ends, but
  // both in one SELECT with a scan of the whole table.
  const { low, high } = db
    .prepare(
      `SELECT (SELECT min(${rowid}) FROM ${quote(table)}) AS low, (SELECT max(${rowid}) FROM ${quote(table)}) AS high`,
    )
    .get() as {
    low: number | null;
    high: number | null;
  };
  if (low === null || high === null || high - low < ROWID_RANGES * 1000) return [[null, null]];
  const span = Math.ceil((high - low + 1) / ROWID_RANGES);
  return Array.from({ length: ROWID_RANGES }, (_, i) => [
    i === 0 ? null : low + i * span,
    i === ROWID_RANGES - 1 ? null : low + (i + 1) * span,
  ]);
}

// The most arguments a SQL function call may take where SQLite was built with its old default
// (SQLITE_MAX_FUNCTION_ARG, 127; 1000 in this build): the check's functions take a table's
// indexed columns or an index's key columns, plus the layout or spec and the rowid.
const MAX_ARGUMENTS = 127;

/** Why a table's indexes cannot be proven by reads, or undefined (and their specs) when they can. */
function indexSpecs(db: Connection, table: TableListRow, rowid: string | undefined): IndexSpec[] | string {
  if (table.wr) return "a WITHOUT ROWID table";
  if (!rowid) return "columns shadow every name of its rowid";
  const specs: IndexSpec[] = [];
  for (const index of db.pragma(`index_list(${quote(table.name)})`) as IndexListRow[]) {
    if (index.partial) return `a partial index (${index.name})`;
    const keys = (db.pragma(`index_xinfo(${quote(index.name)})`) as IndexXinfoRow[]).filter(
      (column) => column.key === 1,
    );
    if (keys.some((column) => column.cid < 0 || column.name === null))
      return `an index on an expression (${index.name})`;
    const unknown = keys.find((column) => !COLLATIONS.includes(column.coll.toUpperCase()));
    if (unknown) return `an index under the collation ${unknown.coll} (${index.name})`;
    // A covering scan reads a column named twice from its first place only, so the second copy
    // in each record would go unread.
    if (new Set(keys.map((column) => column.cid)).size !== keys.length)
      return `an index naming a column twice (${index.name})`;
    if (keys.length + 2 > MAX_ARGUMENTS) return `an index of ${keys.length} columns (${index.name})`;
    specs.push({
      index: index.name,
      columns: keys.map((c) => ({
        name: c.name!,
        collation: c.coll.toUpperCase() as Collation,
        descending: c.desc === 1,
      })),
      unique: index.unique === 1,
    });
  }
  const columns = new Set(specs.flatMap((spec) => spec.columns.map((column) => column.name)));
  if (columns.size + 2 > MAX_ARGUMENTS) return `indexes over ${columns.size} columns`;
  return specs;
}

/** The parts of the check of `db`: quick_check first, then each table's parts, largest table first. */
export function planCheck(db: Connection): CheckPart[] {
  const parts: CheckPart[] = [{ kind: "quick_check" }];
  // In a UTF-16 file BINARY orders text by its UTF-16 bytes, not by the UTF-8 bytes the extension compares.
  const encoding = db.pragma("encoding", { simple: true }) as string;
  const tables = (db.pragma("table_list") as TableListRow[]).filter(
    // Virtual tables' shadow tables (FTS's) are tables with indexes of their own.
    (table) => table.schema === "main" && (table.type === "table" || table.type === "shadow"),
  );
  const perTable: { size: number; parts: CheckPart[] }[] = [];
  for (const table of tables) {
    if ((db.pragma(`index_list(${quote(table.name)})`) as IndexListRow[]).length === 0) continue;
    const rowid = rowidName(db, table.name);
    const specs = encoding === "UTF-8" ? indexSpecs(db, table, rowid) : `a ${encoding} database`;
    if (typeof specs === "string") {
      parts.push({ kind: "table", table: table.name, reason: specs });
      continue;
    }
    const ranges = rowidRanges(db, table.name, rowid!);
    perTable.push({
      size: ranges.length,
      parts: [
        ...specs.map((spec) => ({ kind: "entries" as const, table: table.name, rowid: rowid!, spec })),
        ...ranges.map(([from, to]) => ({
          kind: "rows" as const,
          table: table.name,
          rowid: rowid!,
          indexes: specs,
          from,
          to,
        })),
      ],
    });
  }
  perTable.sort((a, b) => b.size - a.size);
  return parts.concat(perTable.flatMap((table) => table.parts));
}

// --- The check's SQL functions --------------------------------------------------------------------
// Hashing and comparing every entry is done by two aggregate functions of a SQLite extension
// written in C (native/opstage-check.c, built by scripts/build-worker.mjs into CHECK_EXTENSION):
// SQLite has no hash function, and a JavaScript user function cost a call into V8 and a string
// made per value: the parts besides quick_check took ~4.6 s of CPU on the 1 GB benchmark, and
// take ~1.4 s with the extension. In C each value is read exactly (64-bit integers, text and blobs as their bytes), so no
// value ends a proof as it did in JavaScript (integers past 2^53, NUL in NOCASE text).
//   opstage_entry_sums(layout, columns..., rowid), over a table's rows: per index, its entries'
//     multiset hash (16 hex digits, the sum mod 2^64 of each entry's 64-bit hash); layout gives
//     per index the positions of its entry's values among the arguments. The extension hashes an
//     entry the same way for both sides.
//   opstage_index_entries(spec, key columns..., rowid), over an index read in its order:
//     "entries sum disordered duplicates"; spec is 'U' or '-' (UNIQUE), then per key column its
//     collation's letter (B, N, R) and + (ASC) or - (DESC).

/** Where the built extension is, relative to the app's folder (findAppPath). */
export const CHECK_EXTENSION = "dist/opstage-check.so";

const ENTRY_SUMS = "opstage_entry_sums";
const INDEX_ENTRIES = "opstage_index_entries";

/** The check's extension could not be used: nothing is known of the file being checked. */
export class CheckExtensionUnavailable extends Error {}

/**
 * Loads the check's SQL functions into `db` (a connection's functions are its own); throws
 * CheckExtensionUnavailable when the extension does not load or is not this one (it does not
 * define both functions), and SQLite's own error when the file being checked cannot be read.
 */
export function loadCheckFunctions(db: Connection, extension: string): void {
  // better-sqlite3 enables loading through this C call only: SQL's load_extension() stays off, so
  // a file being checked cannot load anything. The functions are SQLITE_DIRECTONLY: the file's
  // own triggers and views cannot call them.
  try {
    db.loadExtension(extension);
  } catch (error) {
    // SQLite's words are those of its last try, the path with ".so" added.
    throw new CheckExtensionUnavailable(
      `${extension} could not be loaded as a SQLite extension (${(error as Error).message})`,
    );
  }
  // A statement reads the file's schema first: a file that is not SQLite fails here, as itself.
  const { defined } = db
    .prepare("SELECT count(DISTINCT name) AS defined FROM pragma_function_list WHERE name IN (?, ?)")
    .get(ENTRY_SUMS, INDEX_ENTRIES) as { defined: number };
  if (defined !== 2) {
    throw new CheckExtensionUnavailable(`${extension} loaded but does not define ${ENTRY_SUMS} and ${INDEX_ENTRIES}`);
  }
}

function indexSpecArgument(spec: IndexSpec): string {
  const columns = spec.columns.map((column) => `${column.collation[0]}${column.descending ? "-" : "+"}`);
  return `${spec.unique ? "U" : "-"}${columns.join("")}`;
}

// --- The parts' queries ------------------------------------------------------------------------

type Plan = { detail: string }[];

function planOf(db: Connection, sql: string, params: unknown[] = []): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Plan).map((row) => row.detail);
}

/** (a): the rows of the range counted, and per index the multiset hash of their entries. */
function rowsQuery(part: Extract<CheckPart, { kind: "rows" }>): { sql: string; params: number[] } {
  const rowid = part.rowid;
  const bounds: string[] = [];
  const params: number[] = [];
  if (part.from !== null) {
    bounds.push(`t.${rowid} >= ?`);
    params.push(part.from);
  }
  if (part.to !== null) {
    bounds.push(`t.${rowid} < ?`);
    params.push(part.to);
  }
  const where = bounds.length > 0 ? ` WHERE ${bounds.join(" AND ")}` : "";
  // Each column the indexes use is passed (and hashed) once, then the rowid.
  const columns = [...new Set(part.indexes.flatMap((spec) => spec.columns.map((column) => column.name)))];
  const layout = part.indexes
    .map((spec) => [...spec.columns.map((column) => columns.indexOf(column.name)), columns.length].join(","))
    .join(";");
  const values = [`'${layout}'`, ...columns.map((name) => `t.${quote(name)}`), `t.${rowid}`];
  return {
    sql: `SELECT count(*) AS rows, ${ENTRY_SUMS}(${values.join(", ")}) AS sums FROM ${quote(part.table)} AS t NOT INDEXED${where}`,
    params,
  };
}

/** (b): every entry of the index, in its order, through INDEX_ENTRIES. */
function entriesQuery(part: Extract<CheckPart, { kind: "entries" }>): string {
  const columns = part.spec.columns.map((column) => quote(column.name));
  const spec = `'${indexSpecArgument(part.spec)}'`;
  return `SELECT ${INDEX_ENTRIES}(${[spec, ...columns, part.rowid].join(", ")}) AS said FROM ${quote(part.table)} INDEXED BY ${quote(part.spec.index)}`;
}

// Rows looked up through each index (the first, the middle and the last by rowid), as queries look
// rows up: equal sums and order prove the index holds the right entries in the right order, but
// not that its records have the shape its definition gives them (one with more columns than its
// definition names reads as the right keys in a scan, and no search finds anything in it).
const LOOKUP_SAMPLE = 32;

/** The sampled rows that a search through the index does not find. */
function lookupsQuery(part: Extract<CheckPart, { kind: "entries" }>): string {
  const table = quote(part.table);
  const rowid = part.rowid;
  const columns = part.spec.columns.map((column) => quote(column.name));
  const matches = part.spec.columns
    .map((column) => `i.${quote(column.name)} IS x.${quote(column.name)} COLLATE ${column.collation}`)
    .concat(`i.${rowid} = x.${rowid}`)
    .join(" AND ");
  const sample = (order: string, from = "") =>
    `SELECT ${rowid} FROM ${table} NOT INDEXED ${from}ORDER BY ${rowid} ${order} LIMIT ${LOOKUP_SAMPLE}`;
  const middle = `WHERE ${rowid} >= ((SELECT min(${rowid}) FROM ${table}) + (SELECT max(${rowid}) FROM ${table})) / 2 `;
  return (
    `SELECT count(*) AS missing FROM (SELECT ${[...columns, rowid].join(", ")} FROM ${table} NOT INDEXED ` +
    `WHERE ${rowid} IN (${sample("ASC")}) OR ${rowid} IN (${sample("DESC")}) OR ${rowid} IN (${sample("ASC", middle)})) AS x ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${table} AS i INDEXED BY ${quote(part.spec.index)} WHERE ${matches})`
  );
}

/**
 * Why a part's query plan is not the one the proof needs — the table read through its own b-tree,
 * the index read alone and in its order — or undefined when it is. `db` has the check's functions
 * (loadCheckFunctions).
 */
export function unexpectedPlan(
  db: Connection,
  part: Extract<CheckPart, { kind: "rows" | "entries" }>,
): string | undefined {
  if (part.kind === "rows") {
    const { sql, params } = rowsQuery(part);
    const plan = planOf(db, sql, params);
    const tableRead =
      plan.length === 1 && (plan[0] === "SCAN t" || plan[0]!.startsWith("SEARCH t USING INTEGER PRIMARY KEY"));
    return tableRead ? undefined : `the table read's plan is ${plan.join(" / ")}`;
  }
  const plan = planOf(db, entriesQuery(part));
  if (plan.length !== 1 || plan[0] !== `SCAN ${part.table} USING COVERING INDEX ${part.spec.index}`) {
    return `the index read's plan is ${plan.join(" / ")}`;
  }
  const lookups = planOf(db, lookupsQuery(part));
  return lookups.some((step) => step.startsWith(`SEARCH i USING COVERING INDEX ${part.spec.index} (`))
    ? undefined
    : `the lookups' plan is ${lookups.join(" / ")}`;
}

function words(rows: Record<string, string>[]): string[] {
  const said = rows.map((row) => Object.values(row)[0]!);
  return said.length === 1 && said[0] === "ok" ? [] : said;
}

function tableCheck(db: Connection, table: string, fallback: string): PartResult {
  return { problems: words(db.pragma(`integrity_check(${quote(table)})`) as Record<string, string>[]), fallback };
}

/** Runs one part on `db`, which has the check's functions; throws only when SQLite does (a file too damaged to read). */
export function runPart(db: Connection, part: CheckPart): PartResult {
  if (part.kind === "quick_check") return { problems: words(db.pragma("quick_check(20)") as Record<string, string>[]) };
  if (part.kind === "table") return tableCheck(db, part.table, `integrity_check(${part.table}): ${part.reason}`);
  const plan = unexpectedPlan(db, part);
  if (plan) return { problems: [], unprovable: { table: part.table, reason: plan } };
  return part.kind === "rows" ? runRows(db, part) : runEntries(db, part);
}

function runRows(db: Connection, part: Extract<CheckPart, { kind: "rows" }>): PartResult {
  const { sql, params } = rowsQuery(part);
  const counted = db.prepare(sql).get(...params) as { rows: number; sums: string | null };
  // NULL: no row in the range.
  const perIndex = counted.sums?.split(" ") ?? [];
  const sums = Object.fromEntries(
    part.indexes.map((spec, i): [string, EntrySum] => [spec.index, perIndex[i] ?? NO_ENTRIES]),
  );
  return { problems: [], rows: { table: part.table, rows: counted.rows, sums } };
}

function runEntries(db: Connection, part: Extract<CheckPart, { kind: "entries" }>): PartResult {
  const { said } = db.prepare(entriesQuery(part)).get() as { said: string };
  const [entries, sum, disordered, duplicates] = said.split(" ");
  const { missing } = db.prepare(lookupsQuery(part)).get() as { missing: number };
  return {
    problems: [],
    entries: {
      table: part.table,
      index: part.spec.index,
      entries: Number(entries),
      sum: sum!,
      duplicates: Number(duplicates),
      disordered: Number(disordered),
      missing,
    },
  };
}

/** The tables whose parts could not prove their indexes, each with the first reason given. */
export function unprovableTables(results: PartResult[]): Map<string, string> {
  const tables = new Map<string, string>();
  for (const { unprovable } of results) {
    if (unprovable && !tables.has(unprovable.table)) tables.set(unprovable.table, unprovable.reason);
  }
  return tables;
}

/**
 * The problems all parts found together, worded as integrity_check words them where it can: an
 * index whose entries are not as many as its table's rows, an index whose entries are not its
 * table's (counts equal, content not), entries out of order, equal keys in a UNIQUE index, rows a
 * search through the index does not find. The counts and sums of an unprovable table are left
 * out: its integrity_check(TABLE), run after these parts, speaks for it.
 */
export function verdict(results: PartResult[]): string[] {
  const problems = results.flatMap((result) => result.problems);
  const unprovable = unprovableTables(results);
  const rows = new Map<string, number>();
  const sums = new Map<string, EntrySum>();
  for (const { rows: counted } of results) {
    if (!counted || unprovable.has(counted.table)) continue;
    rows.set(counted.table, (rows.get(counted.table) ?? 0) + counted.rows);
    for (const [index, sum] of Object.entries(counted.sums))
      sums.set(index, addSums(sums.get(index) ?? NO_ENTRIES, sum));
  }
  for (const { entries } of results) {
    if (!entries || unprovable.has(entries.table)) continue;
    const tableRows = rows.get(entries.table) ?? 0;
    if (entries.entries !== tableRows) {
      problems.push(`wrong # of entries in index ${entries.index}: ${entries.entries} entries for ${tableRows} rows`);
    } else if (entries.sum !== (sums.get(entries.index) ?? NO_ENTRIES)) {
      problems.push(`index ${entries.index} does not match its table: its entries are not the rows' keys`);
    }
    if (entries.disordered > 0) {
      problems.push(`${entries.disordered} entries out of order in index ${entries.index}`);
    }
    if (entries.duplicates > 0) problems.push(`${entries.duplicates} non-unique key(s) in index ${entries.index}`);
    if (entries.missing > 0) problems.push(`${entries.missing} row(s) missing from index ${entries.index}`);
  }
  return problems;
}
