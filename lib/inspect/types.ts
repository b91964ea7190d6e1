// The shapes browse and compare answer with. Plain data (no Node imports): the console's client
// components render them as they come from the API.

/** One cell as shown: text, a number, null; a BLOB as "<blob N bytes>"; a secret as MASKED. */
export type Cell = string | number | null;

export type TableSummary = {
  name: string;
  rows: number;
  /**
   * Bytes of its pages (table and indexes), from SQLite's dbstat; null when not asked for (dbstat
   * reads every page of the file: 1-2 s per GB, so the first answer leaves it out).
   */
  bytes: number | null;
  columns: string[];
  /** The columns that identify a row: the primary key, or ["rowid"] when it has none. */
  key: string[];
  /** The columns never shown (secrets.ts). */
  masked: string[];
};

export type BackupContents = { fileBytes: number; pageSize: number; tables: TableSummary[] };

export type RowsPage = {
  table: string;
  columns: string[];
  rows: Cell[][];
  /** The cursor of the next page (pass it back as `after`), or null on the last page. */
  next: string | null;
};

export type TokenState = "works" | "revoked" | "expired";

export type DomainView = {
  users: {
    username: string;
    displayName: string;
    role: string;
    status: string;
    twoFactor: "on" | "off" | "enrolling";
    lastLoginAt: string | null;
  }[];
  tokens: {
    id: string;
    name: string;
    prefix: string;
    owner: string | null;
    state: TokenState;
    lastUsedAt: string | null;
  }[];
  schedule: { cron: string | null; keep: number | null } | null;
  offsite: { bucket: string; endpoint: string | null; prefix: string; encrypted: boolean; secretSet: boolean } | null;
  alertChannels: { id: string; name: string; type: string; enabled: boolean; events: string[]; secretSet: boolean }[];
  audit: {
    total: number;
    newest: { createdAt: string; action: string; actor: string; result: string; message: string | null }[];
  };
};

export type ChangedRow = { key: Cell[]; columns: string[]; before: Cell[]; after: Cell[] };

export type TableDiff = {
  table: string;
  columns: string[];
  key: string[];
  added: number;
  removed: number;
  changed: number;
  /** The table exists on one side only. */
  only?: "from" | "to";
  /** Columns present on one side only (not compared). */
  columnsOnOneSide?: string[];
  first: { added: Cell[][]; removed: Cell[][]; changed: ChangedRow[] };
};

/**
 * `from` → `to`: what changes when `from` becomes `to`. The restore preview compares the live
 * database (from) with the backup (to): "removed" is what the restore takes away.
 */
export type Comparison = {
  from: string;
  to: string;
  identical: boolean;
  /** Readable lines for the domain tables: "alice: viewer → owner", "1,204 audit events removed". */
  domain: string[];
  /** Only the tables with a difference. */
  tables: TableDiff[];
  unchangedTables: number;
  durationMs: number;
};

export type CompareProgress = { done: number; total: number; table: string };

export type ComparisonJob = {
  id: string;
  from: string;
  to: string;
  state: "running" | "done" | "failed" | "cancelled";
  startedAt: string;
  progress: CompareProgress | null;
  result: Comparison | null;
  error: { code: string; message: string } | null;
};
