// The names the data folder gives its own files. None of them may ever be taken for a backup: a
// backup folder that is (or links to) the data folder would otherwise list, verify, delete or
// restore the live database itself, or let an upload land on top of it.
export const DATABASE_FILE = "opstage.db";

const RESERVED = new Set(
  [
    DATABASE_FILE,
    `${DATABASE_FILE}-wal`,
    `${DATABASE_FILE}-shm`,
    `${DATABASE_FILE}-journal`,
    // Litestream's shadow WAL folder beside the database it replicates.
    `.${DATABASE_FILE}-litestream`,
    ".opstage.lock", // data-dir-lock.ts
    ".opstage.lock-journal",
    ".restored.json", // RESTORE_MARKER, lib/backup/restore.ts
    "litestream.yml", // LITESTREAM_CONFIG_FILE, lib/replication/litestream-config.ts
    "litestream.pid", // LITESTREAM_PID_FILE, lib/replication/supervisor.ts
    ".session-secret", // the quick start's, scripts/lib/quickstart-env.sh
  ].map((name) => name.toLowerCase()),
);

/** Whether `name` is one of the data folder's own files (compared without case: some volumes fold it). */
export function isReservedDataFileName(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
