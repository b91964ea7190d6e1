// A read-only descriptor on the live database file, for the snapshot's raw copy of its pages
// (lib/backup/worker.ts). One per file, held for the life of the process.
//
// Why not open → read → close per snapshot: SQLite's locks are POSIX advisory locks, and those
// belong to the process and the file, not to a descriptor. close() on ANY descriptor of
// opstage.db silently drops every lock this process holds on it, the SHARED lock of the server's
// own connections included ("How To Corrupt An SQLite Database File", §2.2; SQLite's unix VFS
// defers its own closes for this reason). Keeping our descriptor open avoids the close.
import { closeSync, fstatSync, openSync, statSync } from "node:fs";
import path from "node:path";
import { processSingleton } from "../process-singleton";

// One per process (process-singleton.ts).
const heldFiles = () => processSingleton("database-files", () => new Map<string, number>());

export function databaseFileDescriptor(file: string): number {
  const files = heldFiles();
  const key = path.resolve(file);
  const onDisk = statSync(key);
  const held = files.get(key);
  if (held !== undefined) {
    const heldStat = fstatSync(held);
    if (heldStat.ino === onDisk.ino && heldStat.dev === onDisk.dev) return held;
    // The path names another file now: a restore renamed a backup over it, after closing every
    // SQLite handle on the replaced file. Closing ours then drops no lock anyone relies on, and
    // releases the replaced file's disk space.
    closeSync(held);
    files.delete(key);
  }
  const fd = openSync(key, "r");
  files.set(key, fd);
  return fd;
}
