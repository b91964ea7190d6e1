// Free-space check before a snapshot: a backup that cannot fit must fail before it starts, not
// after filling the disk that also holds the live database.
import { statfsSync, statSync } from "node:fs";
import { KnownError } from "../errors";

export type FreeSpaceProbe = (directory: string) => number;

export const diskFreeBytes: FreeSpaceProbe = (directory) => {
  const stats = statfsSync(directory);
  return Number(stats.bavail) * Number(stats.bsize);
};

export class InsufficientSpaceError extends KnownError {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    directory: string,
  ) {
    super(
      "no_space",
      "insufficient_storage",
      `Not enough free space in ${directory} for a backup: about ${Math.ceil(neededBytes / 1048576)} MB ` +
        `needed, ${Math.floor(freeBytes / 1048576)} MB free. Free some space or delete old backups.`,
    );
    this.name = "InsufficientSpaceError";
  }
}

/** The folder filled up while a file was being written (by us or by anything else on that disk). */
export class DiskFullError extends KnownError {
  constructor(directory: string) {
    super(
      "no_space",
      "insufficient_storage",
      `${directory} ran out of space while the backup was being written; nothing was kept. ` +
        `Free some space (or delete old backups), then try again.`,
    );
    this.name = "DiskFullError";
  }
}

/** ENOSPC, whether thrown here or reported by a worker (which passes the code along). */
export function isDiskFull(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "ENOSPC" || (typeof message === "string" && /\bENOSPC\b|database or disk is full/.test(message));
}

/** The snapshot is at most the database plus its WAL (pages not yet checkpointed). */
export function bytesNeededForSnapshot(databasePath: string): number {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(databasePath) + size(`${databasePath}-wal`);
}
