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
//       (key columns, rowid) summed as 64-bit hashes (two 32-bit lanes, each summed mod 2^32);
//   (b) each index read alone, in its stored order (a covering-index SCAN, checked in its query
//       plan before it runs): its entries counted and summed the same way; each entry compared
//       with the one before it as SQLite compares them (collation, DESC, then rowid) — quick_check
//       does not compare an index's keys with each other; for a UNIQUE index, no two adjacent
//       entries with equal keys and no NULL among them (SQLite's rule: NULLs are distinct);
//   (c) a sample of rows (the first, middle and last by rowid) looked up through the index, as queries
//       look rows up: the scan reads keys by position, so an index whose records have another
//       shape than its definition (more columns) would pass (a) and (b), and no search finds
//       anything in it.
// Equal counts and equal sums mean the index holds exactly its table's entries, unless a damage
// makes the differences cancel in both 32-bit sums at once: for damage that is not crafted,
// about one chance in 2^64 (a multiset hash: D. Clarke et al., "Incremental multiset hash
// functions", ASIACRYPT 2003). It is not a defence against someone crafting a file to pass: a
// file someone can write is one they can fill with any well-formed content anyway.
// Values are hashed and compared as SQLite compares them: an integer and a real that are equal
// alike, a number and text never. A value that reaches JavaScript inexactly — an integer past
// 2^53 (rounded: better-sqlite3 without safeIntegers, which would cost a BigInt per row), text
// that is not UTF-8 (decoded to U+FFFD) or that holds a NUL (NOCASE stops comparing there) —
// ends the proof for its table, which is then checked by integrity_check(TABLE). So is a table
// with an index this cannot prove by reads — on an expression, partial, on a WITHOUT ROWID
// table, under a collation other than SQLite's built-in ones, in a UTF-16 database (whose BINARY
// order is UTF-16's), or a query plan other than the expected one — and the result names each
// fallback.
//
// Cost (1 GB, one 1.66 M-row table, five indexes, on this 2-core host): quick_check ~1 s, the
// table pass ~1.6 s, the index passes ~0.5-0.8 s each, so about 2.8 s of work on each of two
// threads, against integrity_check's 8-10 s on one. Hashing runs in JavaScript (a user function
// per row or entry): SQLite built into better-sqlite3 has no hash function, and one call per row
// hashing every index's entry costs less than a call per entry.
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

/** Two 32-bit lanes of a multiset hash, each a sum mod 2^32 (as signed 32-bit integers). */
export type EntrySum = [number, number];

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
  return specs;
}

/** The parts of the check of `db`: quick_check first, then each table's parts, largest table first. */
export function planCheck(db: Connection): CheckPart[] {
  const parts: CheckPart[] = [{ kind: "quick_check" }];
  // In a UTF-16 file BINARY orders text by its UTF-16 bytes, not as compareText does.
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

// --- Hashing: two 32-bit lanes per value, then per entry ---------------------------------------
// Hand-written, as SQLite here has no hash function and node:crypto costs a call and an
// allocation per value: FNV-1a-style multiply over the value's characters in each lane (two
// different primes), finished with MurmurHash3's 32-bit mixer.

const LANE_A_PRIME = 0x01000193;
const LANE_B_PRIME = 0x5bd1e995;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// The two lanes of the value last hashed (hashValue writes them here: no allocation per value).
let laneA = 0;
let laneB = 0;
const float = new Float64Array(1);
const floatWords = new Int32Array(float.buffer);

// Set when a value reached JavaScript inexactly: an integer past 2^53 (rounded) or text holding
// U+FFFD (how bytes that are not UTF-8 arrive; two such texts may arrive alike). A part that saw
// one proves nothing about its table, which is then checked by integrity_check(TABLE).
let inexact = false;
// Set when the value last hashed is text holding a code unit from U+D800 up, where UTF-16's order and
// UTF-8's (SQLite's BINARY) can differ (compareText).
let highUnit = false;

/** A value as SQLite compares it: NULL, a number (integer and real alike when equal), text or a blob. */
function hashValue(value: unknown): void {
  let a: number;
  let b: number;
  highUnit = false;
  if (value === null || value === undefined) {
    a = 0x6e756c6c;
    b = 0x4e554c4c;
  } else if (typeof value === "number") {
    a = 0x2b4e756d;
    b = 0x6e756d2b;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) inexact = true;
    if (Number.isSafeInteger(value)) {
      const low = (value % 0x100000000) | 0;
      const high = Math.floor(value / 0x100000000) | 0;
      a = Math.imul(a ^ low, LANE_A_PRIME) ^ high;
      b = Math.imul(b ^ high, LANE_B_PRIME) ^ low;
    } else {
      float[0] = value;
      a = Math.imul(a ^ floatWords[0]!, LANE_A_PRIME) ^ floatWords[1]!;
      b = Math.imul(b ^ floatWords[1]!, LANE_B_PRIME) ^ floatWords[0]!;
    }
  } else if (typeof value === "string") {
    a = 0x811c9dc5;
    b = 0x2f3a1d7b;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      // One comparison for both rare cases: (c - 1) >>> 0 is huge for c = 0 and for c >= 0xd800.
      if ((c - 1) >>> 0 >= 0xd7ff) {
        if (c === 0 || c === 0xfffd) inexact = true;
        else highUnit = true;
      }
      a = Math.imul(a ^ c, LANE_A_PRIME);
      b = Math.imul(b ^ c, LANE_B_PRIME);
    }
    a ^= value.length;
  } else if (typeof value === "bigint") {
    // Only with safeIntegers, which the check does not turn on; hashed as the number it equals.
    return hashValue(Number(value));
  } else {
    const bytes = value as Uint8Array;
    a = 0x626c6f62;
    b = 0x424c4f42;
    for (let i = 0; i < bytes.length; i++) {
      a = Math.imul(a ^ bytes[i]!, LANE_A_PRIME);
      b = Math.imul(b ^ bytes[i]!, LANE_B_PRIME);
    }
    a ^= bytes.length;
  }
  laneA = fmix32(a);
  laneB = fmix32(b ^ 0x9e3779b9);
}

/** Combines one more value's lanes into an entry's running lanes (order matters). */
function combine(entryA: number, valueA: number): number {
  return fmix32(Math.imul(entryA ^ valueA, LANE_A_PRIME) + 0x7f4a7c15);
}

/**
 * Adds one entry — the hashed values at `positions`: its key columns, then its rowid — to the two
 * lane sums at sums[at] and sums[at + 1]. The table's pass and the index's both add their entries
 * here, so that the two sides can only be summed alike.
 */
function addEntry(
  sums: Int32Array,
  at: number,
  valueA: Int32Array,
  valueB: Int32Array,
  positions: readonly number[],
): void {
  let a = 0x3c6ef372;
  let b = 0xa54ff53a;
  for (const position of positions) {
    a = combine(a, valueA[position]!);
    b = combine(b, valueB[position]!);
  }
  sums[at] = (sums[at]! + a) | 0;
  sums[at + 1] = (sums[at + 1]! + b) | 0;
}

// --- The parts' queries ------------------------------------------------------------------------

type Plan = { detail: string }[];

function planOf(db: Connection, sql: string, params: unknown[] = []): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Plan).map((row) => row.detail);
}

const ROWS_FUNCTION = "opstage_check_row";
const ENTRIES_FUNCTION = "opstage_check_entry";

/** The distinct columns the table's indexes use, in order: each row hashes each once. */
function rowColumns(indexes: IndexSpec[]): string[] {
  return [...new Set(indexes.flatMap((spec) => spec.columns.map((column) => column.name)))];
}

/** (a): every row of the range passed to ROWS_FUNCTION with its indexed columns and rowid. */
function rowsQuery(part: Extract<CheckPart, { kind: "rows" }>): { sql: string; params: number[] } {
  const rowid = part.rowid;
  const columns = rowColumns(part.indexes).map((name) => `t.${quote(name)}`);
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
  return {
    sql: `SELECT count(${ROWS_FUNCTION}(${[...columns, `t.${rowid}`].join(", ")})) AS rows FROM ${quote(part.table)} AS t NOT INDEXED${where}`,
    params,
  };
}

/** (b): every entry of the index, in its order, passed to ENTRIES_FUNCTION with its key and rowid. */
function entriesQuery(part: Extract<CheckPart, { kind: "entries" }>): string {
  const columns = part.spec.columns.map((column) => quote(column.name));
  return `SELECT count(${ENTRIES_FUNCTION}(${[...columns, part.rowid].join(", ")})) AS entries FROM ${quote(part.table)} INDEXED BY ${quote(part.spec.index)}`;
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
 * the index read alone and in its order — or undefined when it is.
 */
export function unexpectedPlan(
  db: Connection,
  part: Extract<CheckPart, { kind: "rows" | "entries" }>,
): string | undefined {
  registerFunctions(db);
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

// What the user functions add to: set by runPart before each query, read after it.
/** Per index, the positions of its key columns among the values passed, then the rowid's (the last). */
type RowsState = { indexes: number[][]; valueA: Int32Array; valueB: Int32Array; sums: Int32Array };
type EntriesState = {
  columns: IndexColumn[];
  /** The entry's values in the order passed (key columns, rowid), as addEntry takes them. */
  positions: number[];
  valueA: Int32Array;
  valueB: Int32Array;
  /** Per value of the entry being read, and of the one before it: text with a unit from U+D800 up. */
  high: Uint8Array;
  previousHigh: Uint8Array;
  unique: boolean;
  sum: Int32Array;
  previous: unknown[] | null;
  duplicates: number;
  disordered: number;
};
let rowsState: RowsState | null = null;
let entriesState: EntriesState | null = null;
const registered = new WeakSet<Connection>();

function registerFunctions(db: Connection): void {
  if (registered.has(db)) return;
  registered.add(db);
  db.function(ROWS_FUNCTION, { varargs: true, deterministic: false, directOnly: true }, (...values: unknown[]) => {
    const state = rowsState!;
    for (let i = 0; i < values.length; i++) {
      hashValue(values[i]);
      state.valueA[i] = laneA;
      state.valueB[i] = laneB;
    }
    for (let index = 0; index < state.indexes.length; index++) {
      addEntry(state.sums, 2 * index, state.valueA, state.valueB, state.indexes[index]!);
    }
    return 1;
  });
  db.function(ENTRIES_FUNCTION, { varargs: true, deterministic: false, directOnly: true }, (...values: unknown[]) => {
    const state = entriesState!;
    const high = state.high;
    for (let i = 0; i < values.length; i++) {
      hashValue(values[i]);
      state.valueA[i] = laneA;
      state.valueB[i] = laneB;
      high[i] = highUnit ? 1 : 0;
    }
    addEntry(state.sum, 0, state.valueA, state.valueB, state.positions);
    if (state.previous) {
      if (entryOrder(values, state.previous, state) <= 0) state.disordered++;
      if (state.unique && keysEqual && !keysHaveNull) state.duplicates++;
    }
    state.previous = values;
    state.high = state.previousHigh;
    state.previousHigh = high;
    return 1;
  });
}

// --- SQLite's order, for the index read in its order --------------------------------------------
// integrity_check finds an index whose entries are out of their declared order (its lookups
// fail); quick_check does not look (it checks key order only for tables' rowids), and equal sums
// do not either. So each entry is compared with the one before it, as SQLite compares them.

// Set by entryOrder for the entry last compared: its key columns equal the previous entry's, and
// whether one of them is NULL (a UNIQUE index allows equal keys only with a NULL among them).
let keysEqual = false;
let keysHaveNull = false;

/** Positive when `entry` (key columns, then rowid) comes after `previous` in the index's order. */
function entryOrder(entry: unknown[], previous: unknown[], state: EntriesState): number {
  const columns = state.columns;
  keysEqual = false;
  keysHaveNull = false;
  for (let i = 0; i < columns.length; i++) {
    const a = entry[i];
    const b = previous[i];
    if (a === null) keysHaveNull = true;
    let order: number;
    if (typeof a === "string" && typeof b === "string") {
      const exact = columns[i]!.collation !== "BINARY" || (state.high[i] === 1 && state.previousHigh[i] === 1);
      order = exact ? compareText(a, b, columns[i]!.collation) : a === b ? 0 : a < b ? -1 : 1;
    } else {
      order = compareValues(a, b);
    }
    if (order !== 0) return columns[i]!.descending ? -order : order;
  }
  keysEqual = true;
  return (entry[columns.length] as number) - (previous[columns.length] as number);
}

/** 0 NULL, 1 number, 2 text, 3 blob: SQLite orders values of different classes so. */
function storageClass(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number" || typeof value === "bigint") return 1;
  return typeof value === "string" ? 2 : 3;
}

/** SQLite's comparison of two values that are not both text (exact: inexact values end the proof first). */
function compareValues(a: unknown, b: unknown): number {
  const classA = storageClass(a);
  const classB = storageClass(b);
  if (classA !== classB) return classA - classB;
  if (classA === 0) return 0;
  if (classA === 1) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  return Buffer.compare(a as Uint8Array, b as Uint8Array);
}

/**
 * Text as SQLite's built-in collations order it: BINARY compares UTF-8 bytes, which order as code
 * points — as UTF-16 code units do (JavaScript's own comparison, used when neither text holds a
 * unit from U+D800 up), except a surrogate (U+10000 and up) against U+E000–U+FFFF; NOCASE folds
 * A-Z first; RTRIM ignores trailing spaces.
 */
function compareText(a: string, b: string, collation: Collation): number {
  if (collation === "RTRIM") {
    a = a.replace(/ +$/, "");
    b = b.replace(/ +$/, "");
  }
  const fold = collation === "NOCASE";
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (fold) {
      if (x >= 65 && x <= 90) x += 32;
      if (y >= 65 && y <= 90) y += 32;
      if (x === y) continue;
    }
    if (x >= 0xd800 && y >= 0xd800 && x < 0xe000 !== y < 0xe000) return x < 0xe000 ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function words(rows: Record<string, string>[]): string[] {
  const said = rows.map((row) => Object.values(row)[0]!);
  return said.length === 1 && said[0] === "ok" ? [] : said;
}

function tableCheck(db: Connection, table: string, fallback: string): PartResult {
  return { problems: words(db.pragma(`integrity_check(${quote(table)})`) as Record<string, string>[]), fallback };
}

/** Runs one part; throws only when SQLite does (a file too damaged to read). */
export function runPart(db: Connection, part: CheckPart): PartResult {
  if (part.kind === "quick_check") return { problems: words(db.pragma("quick_check(20)") as Record<string, string>[]) };
  if (part.kind === "table") return tableCheck(db, part.table, `integrity_check(${part.table}): ${part.reason}`);
  const plan = unexpectedPlan(db, part);
  if (plan) return { problems: [], unprovable: { table: part.table, reason: plan } };
  inexact = false;
  const result = part.kind === "rows" ? runRows(db, part) : runEntries(db, part);
  return inexact ? { problems: [], unprovable: { table: part.table, reason: INEXACT } } : result;
}

// NUL: SQLite's NOCASE stops comparing at a NUL inside text; BINARY and RTRIM do not.
const INEXACT =
  "values JavaScript cannot compare exactly (integers past 2^53, text that is not UTF-8 or holds a NUL character)";

function runRows(db: Connection, part: Extract<CheckPart, { kind: "rows" }>): PartResult {
  const columns = rowColumns(part.indexes);
  rowsState = {
    indexes: part.indexes.map((spec) => [
      ...spec.columns.map((column) => columns.indexOf(column.name)),
      columns.length,
    ]),
    valueA: new Int32Array(columns.length + 1),
    valueB: new Int32Array(columns.length + 1),
    sums: new Int32Array(2 * part.indexes.length),
  };
  try {
    const { sql, params } = rowsQuery(part);
    const { rows } = db.prepare(sql).get(...params) as { rows: number };
    const sums = rowsState.sums;
    const perIndex = Object.fromEntries(
      part.indexes.map((spec, i): [string, EntrySum] => [spec.index, [sums[2 * i]!, sums[2 * i + 1]!]]),
    );
    return { problems: [], rows: { table: part.table, rows, sums: perIndex } };
  } finally {
    rowsState = null;
  }
}

function runEntries(db: Connection, part: Extract<CheckPart, { kind: "entries" }>): PartResult {
  entriesState = {
    columns: part.spec.columns,
    positions: Array.from({ length: part.spec.columns.length + 1 }, (_, i) => i),
    valueA: new Int32Array(part.spec.columns.length + 1),
    valueB: new Int32Array(part.spec.columns.length + 1),
    high: new Uint8Array(part.spec.columns.length + 1),
    previousHigh: new Uint8Array(part.spec.columns.length + 1),
    unique: part.spec.unique,
    sum: new Int32Array(2),
    previous: null,
    duplicates: 0,
    disordered: 0,
  };
  try {
    const { entries } = db.prepare(entriesQuery(part)).get() as { entries: number };
    const { sum, duplicates, disordered } = entriesState;
    const { missing } = db.prepare(lookupsQuery(part)).get() as { missing: number };
    return {
      problems: [],
      entries: {
        table: part.table,
        index: part.spec.index,
        entries,
        sum: [sum[0]!, sum[1]!],
        duplicates,
        disordered,
        missing,
      },
    };
  } finally {
    entriesState = null;
  }
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
    for (const [index, [a, b]] of Object.entries(counted.sums)) {
      const [sumA, sumB] = sums.get(index) ?? [0, 0];
      sums.set(index, [(sumA + a) | 0, (sumB + b) | 0]);
    }
  }
  for (const { entries } of results) {
    if (!entries || unprovable.has(entries.table)) continue;
    const tableRows = rows.get(entries.table) ?? 0;
    const [a, b] = sums.get(entries.index) ?? [0, 0];
    if (entries.entries !== tableRows) {
      problems.push(`wrong # of entries in index ${entries.index}: ${entries.entries} entries for ${tableRows} rows`);
    } else if (entries.sum[0] !== a || entries.sum[1] !== b) {
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
