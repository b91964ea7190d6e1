// The path of the better-sqlite3 native module this process has loaded, for the snapshot worker
// to load the very same file.
//
// Each copy of the module is its own copy of SQLite. SQLite's unix VFS keeps, per process, a
// table of the files it has open and the POSIX locks its connections hold, because those locks
// belong to the process, not to a connection: when it closes its last connection on a file, it
// takes an exclusive lock — which the kernel never refuses to a process that already holds the
// file's other locks — and deletes or truncates the WAL. A second copy of SQLite does not see the
// first copy's connections in its table; its last close removed the WAL under the server's live
// connections (seen as SQLITE_IOERR_SHORT_READ when an app folder copied with its symlinks
// resolved made the worker and the server load two different files).
import Module from "node:module";

const NATIVE_MODULE = /[\\/]better_sqlite3\.node$/;

/** The loaded native module's file, or undefined before the first connection opened it. */
export function loadedSqliteBinding(): string | undefined {
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  return Object.keys(cache).find((file) => NATIVE_MODULE.test(file));
}
