// Free-space check before a snapshot: a backup that cannot fit must fail before it starts, not
// after filling the disk that also holds the live database.
import { statfsSync, statSync } from "node:fs";

export type FreeSpaceProbe = (directory: string) => number;

export const diskFreeBytes: FreeSpaceProbe = (directory) => {
  const stats = statfsSync(directory);
  return Number(stats.bavail) * Number(stats.bsize);
};

export class InsufficientSpaceError extends Error {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    directory: string,
  ) {
    super(
      `Not enough free space in ${directory} for a backup: about ${Math.ceil(neededBytes / 1048576)} MB ` +
        `needed, ${Math.floor(freeBytes / 1048576)} MB free. Free some space or delete old backups.`,
    );
    this.name = "InsufficientSpaceError";
  }
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
