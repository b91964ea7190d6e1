// Raw better-sqlite3 handles, for what Prisma cannot do: PRAGMAs, transactions around whole
// migration files, snapshots, diagnostics. Every handle gets the same settings.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { processSingleton } from "../process-singleton";

export type SqliteDatabase = Database.Database;

/** How long a connection waits on a lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * The settings every connection the app opens gets (raw handles here, Prisma's in prisma.ts).
 * - synchronous=FULL: with WAL, every commit is fsync'ed to the -wal before it returns, so a
 *   power cut loses no acknowledged write. better-sqlite3 is built with
 *   SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 (NORMAL), which could lose the last ones: it must be set on
 *   each connection.
 * - foreign_keys is per connection and off by default in SQLite.
 */
export const CONNECTION_PRAGMAS = [`busy_timeout = ${BUSY_TIMEOUT_MS}`, "synchronous = FULL", "foreign_keys = ON"];

// Who checkpoints the WAL. Litestream (lib/replication) can only continue its replica while the
// WAL it follows is never restarted behind its back: when SQLite's automatic checkpoint (every
// 1000 pages, on a commit) folds the WAL in while Litestream is not holding its read transaction
// (before it starts, while it restarts), the next commit restarts the WAL, and Litestream then
// finds a WAL header it does not know and starts a new generation — a full snapshot upload.
// With replication on, the app's connections therefore never checkpoint on their own; Litestream
// does it (it checkpoints at 1000 pages and every minute). One setting per process
// (process-singleton.ts).
export type WalCheckpointOwner = "sqlite" | "litestream";
const checkpointing = () =>
  processSingleton<{ owner: WalCheckpointOwner }>("wal-checkpoint-owner", () => ({ owner: "sqlite" }));

/** Set once at start, before the first connection opens. */
export function setWalCheckpointOwner(owner: WalCheckpointOwner): void {
  checkpointing().owner = owner;
}

export function walCheckpointOwner(): WalCheckpointOwner {
  return checkpointing().owner;
}

/** CONNECTION_PRAGMAS, and no automatic checkpoints while Litestream owns them. */
export function connectionPragmas(): string[] {
  return walCheckpointOwner() === "litestream" ? [...CONNECTION_PRAGMAS, "wal_autocheckpoint = 0"] : CONNECTION_PRAGMAS;
}

/**
 * Opens the database file, creating its folder, and applies CONNECTION_PRAGMAS. It writes
 * nothing to the file: a database from a newer version must be refused untouched, so switching
 * to WAL (which rewrites the header) is a separate step, enableWal(), taken after the migration
 * check.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): SqliteDatabase {
  if (!options.readonly) mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  for (const pragma of connectionPragmas()) db.pragma(pragma);
  return db;
}

/**
 * journal_mode=WAL is stored in the file, so it holds for every later connection: readers
 * (backups, diagnostics) never block the writer and the writer never blocks them.
 */
export function enableWal(db: SqliteDatabase): void {
  db.pragma("journal_mode = WAL");
}

/**
 * Folds the WAL back into the main file and empties it, so that `opstage.db` alone is a
 * complete copy (a stopped data dir can be backed up with cp). Returns false when a reader kept the
 * checkpoint from completing.
 */
export function checkpointTruncate(db: SqliteDatabase): boolean {
  const [row] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
  return row?.busy === 0;
}
