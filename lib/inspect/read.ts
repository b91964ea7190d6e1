// Reading an Opstage database file for browse: its tables, a page of a table's rows, and the
// readable views of the domain tables. Runs inside the inspect worker (worker-tasks.ts) on a
// read-only connection; `schema` is "main", or the alias of a file ATTACHed beside it (compare).
import type Database from "better-sqlite3";
import { MASKED, maskedColumns, rowMasker } from "./secrets";
import type { BackupContents, Cell, DomainView, RowsPage, TableSummary, TokenState } from "./types";

export type Db = Database.Database;

/** Thrown for a file that is SQLite but has no Opstage migration history (mapped to verify's words). */
export const FOREIGN_CODE = "OPSTAGE_FOREIGN";
/** Thrown for a table name the file does not have. */
export const NO_TABLE_CODE = "OPSTAGE_NO_TABLE";

export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Reads the schema (a file that is not SQLite fails here: SQLITE_NOTADB) and refuses a foreign one. */
export function assertOpstageDatabase(db: Db, schema = "main"): void {
  const found = db
    .prepare(`SELECT 1 FROM ${quoteName(schema)}.sqlite_schema WHERE type = 'table' AND name = '_prisma_migrations'`)
    .get();
  if (!found) throw coded("The file has no Opstage migration history: it is not an Opstage database.", FOREIGN_CODE);
}

export type TableShape = { name: string; columns: string[]; key: string[]; hasRowid: boolean };

export function tableNames(db: Db, schema = "main"): string[] {
  const rows = db
    .prepare(
      `SELECT name FROM ${quoteName(schema)}.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
    )
    .all() as { name: string }[];
  return rows.map((row) => row.name);
}

export function tableShape(db: Db, table: string, schema = "main"): TableShape {
  const sql = db
    .prepare(`SELECT sql FROM ${quoteName(schema)}.sqlite_schema WHERE type = 'table' AND name = ?`)
    .get(table) as { sql: string } | undefined;
  if (!sql) throw coded(`The file has no table named ${table}.`, NO_TABLE_CODE);
  const info = db.prepare(`SELECT name, pk FROM pragma_table_info(?, ?) ORDER BY cid`).all(table, schema) as {
    name: string;
    pk: number;
  }[];
  const hasRowid = !/\bWITHOUT\s+ROWID\b/i.test(sql.sql);
  const pk = info
    .filter((column) => column.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((column) => column.name);
  return { name: table, columns: info.map((column) => column.name), key: pk.length > 0 ? pk : ["rowid"], hasRowid };
}

/** A value as the console shows it: BLOBs by their size (never their bytes), big integers as text. */
export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return `<blob ${value.length} bytes>`;
  return String(value);
}

/**
 * Every table with its row count and, when asked, its size. Sizes come from SQLite's dbstat virtual table
 * (better-sqlite3's SQLite is built with SQLITE_ENABLE_DBSTAT_VTAB), summed per table over the
 * table's b-tree and its indexes' — the pages it really occupies in the file.
 */
export function listTables(db: Db, fileBytes: number, withSizes: boolean): BackupContents {
  const sizes = new Map<string, number>();
  const bytes = !withSizes
    ? []
    : (db
        .prepare(
          `SELECT s.tbl_name AS name, SUM(d.pgsize) AS bytes FROM dbstat('main', 1) AS d JOIN sqlite_schema AS s ON s.name = d.name GROUP BY s.tbl_name`,
        )
        .all() as { name: string; bytes: number }[]);
  for (const row of bytes) sizes.set(row.name, row.bytes);
  const tables: TableSummary[] = tableNames(db).map((name) => {
    const shape = tableShape(db, name);
    const { rows } = db.prepare(`SELECT COUNT(*) AS rows FROM ${quoteName(name)}`).get() as { rows: number };
    return {
      name,
      rows,
      bytes: withSizes ? (sizes.get(name) ?? 0) : null,
      columns: shape.columns,
      key: shape.key,
      masked: maskedColumns(name).filter((column) => shape.columns.includes(column)),
    };
  });
  const pageSize = Number(db.pragma("page_size", { simple: true }));
  return { fileBytes, pageSize, tables };
}

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

function decodeCursor(cursor: string, length: number): unknown[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    values = null;
  }
  if (!Array.isArray(values) || values.length !== length || values.some((v) => typeof v === "object" && v !== null)) {
    throw coded("The page cursor is not one this server gave out; start again from the first page.", "OPSTAGE_CURSOR");
  }
  return values as unknown[];
}

export const MAX_PAGE_ROWS = 500;

/**
 * One page of a table's rows in key order, masked. Keyset paging: the cursor is the last row's
 * rowid (or primary key, for a WITHOUT ROWID table), so every page costs one index seek however
 * deep it is.
 */
export function readRows(db: Db, table: string, after: string | null, limit: number): RowsPage {
  const shape = tableShape(db, table);
  const keyColumns = shape.hasRowid ? ["rowid"] : shape.key;
  const keyList = keyColumns.map(quoteName).join(", ");
  const columnList = shape.columns.map(quoteName).join(", ");
  const where = after ? `WHERE (${keyList}) > (${keyColumns.map(() => "?").join(", ")})` : "";
  const params = after ? decodeCursor(after, keyColumns.length) : [];
  const count = Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(limit)));
  const rows = db
    .prepare(`SELECT ${keyList}, ${columnList} FROM ${quoteName(table)} ${where} ORDER BY ${keyList} LIMIT ?`)
    .raw()
    .all(...params, count + 1) as unknown[][];
  const mask = rowMasker(table, shape.columns);
  const page = rows.slice(0, count);
  const last = page.at(-1);
  return {
    table,
    columns: shape.columns,
    rows: page.map((row) => mask(row.slice(keyColumns.length).map(toCell))),
    next: rows.length > count && last ? encodeCursor(last.slice(0, keyColumns.length)) : null,
  };
}

function hasTable(db: Db, schema: string, table: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM ${quoteName(schema)}.sqlite_schema WHERE type = 'table' AND name = ?`).get(table) !==
    undefined
  );
}

function hasColumn(db: Db, schema: string, table: string, column: string): boolean {
  return db.prepare(`SELECT 1 FROM pragma_table_info(?, ?) WHERE name = ?`).get(table, schema, column) !== undefined;
}

/** Rows of a domain table, or none when this file's version has no such table. */
function all<T>(db: Db, schema: string, table: string, sql: (t: string) => string): T[] {
  if (!hasTable(db, schema, table)) return [];
  return db.prepare(sql(`${quoteName(schema)}.${quoteName(table)}`)).all() as T[];
}

function setting<T>(db: Db, schema: string, key: string): T | null {
  const [row] = all<{ valueJson: string }>(
    db,
    schema,
    "SystemSetting",
    (t) => `SELECT valueJson FROM ${t} WHERE key = '${key}'`,
  );
  if (!row) return null;
  try {
    return JSON.parse(row.valueJson) as T;
  } catch {
    return null;
  }
}

/** Prisma keeps DateTime as ISO text here; older rows may hold epoch milliseconds. */
function timeOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const ms = typeof value === "number" ? value : Date.parse(String(value));
  return Number.isNaN(ms) ? null : ms;
}

export function tokenState(row: { revokedAt: unknown; expiresAt: unknown }, now = Date.now()): TokenState {
  if (row.revokedAt !== null && row.revokedAt !== undefined) return "revoked";
  const expires = timeOf(row.expiresAt);
  return expires !== null && expires <= now ? "expired" : "works";
}

export const NEWEST_AUDIT_EVENTS = 20;
const USERS_SHOWN = 1000;

/** The readable views of the domain tables; no secret is read into them but "is one set". */
export function domainView(db: Db, schema = "main"): DomainView {
  const twoFactor = new Map(
    all<{ userId: string; enabledAt: string | null }>(
      db,
      schema,
      "TwoFactor",
      (t) => `SELECT userId, enabledAt FROM ${t}`,
    ).map((row) => [row.userId, row.enabledAt ? ("on" as const) : ("enrolling" as const)]),
  );
  const users = all<{
    id: string;
    username: string;
    displayName: string;
    role: string;
    status: string;
    lastLoginAt: string | null;
  }>(
    db,
    schema,
    "User",
    (t) =>
      `SELECT id, username, displayName, role, status, lastLoginAt FROM ${t} ORDER BY username LIMIT ${USERS_SHOWN}`,
  );
  const usernames = new Map(
    all<{ id: string; username: string }>(db, schema, "User", (t) => `SELECT id, username FROM ${t}`).map((u) => [
      u.id,
      u.username,
    ]),
  );
  const tokens = all<{
    id: string;
    name: string;
    prefix: string;
    createdById: string;
    revokedAt: unknown;
    expiresAt: unknown;
    lastUsedAt: string | null;
  }>(
    db,
    schema,
    "ApiToken",
    (t) => `SELECT id, name, prefix, createdById, revokedAt, expiresAt, lastUsedAt FROM ${t} ORDER BY name, id`,
  );
  const schedule = setting<{ cron?: string | null; keep?: number }>(db, schema, "backup.schedule");
  const offsite = setting<{
    bucket?: string;
    endpoint?: string | null;
    prefix?: string;
    recipient?: string | null;
    secretAccessKey?: string;
  }>(db, schema, "offsite.target");
  const channels = all<{
    id: string;
    name: string;
    type: string;
    enabled: number;
    eventsJson: string;
    secret: string | null;
  }>(
    db,
    schema,
    "AlertChannel",
    (t) => `SELECT id, name, type, enabled, eventsJson, secret FROM ${t} ORDER BY name, id`,
  );
  const auditTable = hasTable(db, schema, "AuditEvent");
  const newest = auditTable
    ? (db
        .prepare(
          `SELECT createdAt, action, actorType, actorId, result, message FROM ${quoteName(schema)}."AuditEvent" ORDER BY createdAt DESC, id DESC LIMIT ${NEWEST_AUDIT_EVENTS}`,
        )
        .all() as {
        createdAt: string;
        action: string;
        actorType: string;
        actorId: string | null;
        result: string;
        message: string | null;
      }[])
    : [];
  const total = auditTable
    ? (db.prepare(`SELECT COUNT(*) AS n FROM ${quoteName(schema)}."AuditEvent"`).get() as { n: number }).n
    : 0;
  const tokenNames = new Map(tokens.map((token) => [token.id, token.name]));
  // The audit log names its actor by id: the user's or token's name reads better, when it is known.
  const actorName = (type: string, id: string | null) => {
    const kind = type.toLowerCase();
    if (!id) return kind;
    const name = type === "USER" ? usernames.get(id) : type === "TOKEN" ? tokenNames.get(id) : id;
    return `${kind} ${name ?? id}`;
  };
  return {
    users: users.map((user) => ({
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      status: user.status,
      twoFactor: twoFactor.get(user.id) ?? "off",
      lastLoginAt: user.lastLoginAt,
    })),
    tokens: tokens.map((token) => ({
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      owner: usernames.get(token.createdById) ?? null,
      state: tokenState(token),
      lastUsedAt: token.lastUsedAt,
    })),
    schedule: schedule ? { cron: schedule.cron ?? null, keep: schedule.keep ?? null } : null,
    offsite:
      offsite && offsite.bucket
        ? {
            bucket: offsite.bucket,
            endpoint: offsite.endpoint ?? null,
            prefix: offsite.prefix ?? "",
            encrypted: Boolean(offsite.recipient),
            secretSet: Boolean(offsite.secretAccessKey),
          }
        : null,
    alertChannels: channels.map((channel) => {
      let events: string[] = [];
      try {
        events = JSON.parse(channel.eventsJson) as string[];
      } catch {
        events = [];
      }
      return {
        id: channel.id,
        name: channel.name,
        type: channel.type,
        enabled: Boolean(channel.enabled),
        events,
        secretSet: channel.secret !== null && channel.secret !== "",
      };
    }),
    audit: {
      total,
      newest: newest.map((event) => ({
        createdAt: event.createdAt,
        action: event.action,
        actor: actorName(event.actorType, event.actorId),
        result: event.result,
        message: event.message,
      })),
    },
  };
}

/** Whether a column exists (for the compare's reads of optional columns). */
export { hasColumn, hasTable, MASKED };
