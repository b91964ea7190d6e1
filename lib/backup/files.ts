// Backup file names and the atomic-write discipline: a snapshot is written under a temporary,
// dot-prefixed name in the backup folder, fsync'ed, then renamed to its final name and the
// folder fsync'ed. A crash at any point leaves either no file or a complete one under the final
// name — never a half-written file that looks like a backup.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

const TEMP_PREFIX = ".tmp-";

/** `opstage-20261124T225959.123Z.db`: sorts by time, safe on every filesystem. */
export function backupFileName(at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, "");
  return `opstage-${stamp}.db`;
}

export const BACKUP_NAME_PATTERN = /^opstage-\d{8}T\d{6}\.\d{3}Z\.db$/;

export function tempPathFor(backupDir: string, finalName: string): string {
  return path.join(backupDir, `${TEMP_PREFIX}${finalName}.${randomBytes(4).toString("hex")}`);
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

function fsyncPath(target: string): void {
  const fd = openSync(target, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync the file, rename it into place, fsync the folder so the rename itself is durable. */
export function commitTempFile(tempPath: string, finalPath: string): void {
  fsyncPath(tempPath);
  renameSync(tempPath, finalPath);
  fsyncPath(path.dirname(finalPath));
}

/** Removes a temp file and the rollback journal SQLite may have left beside it. */
export function discardTempFile(tempPath: string): void {
  rmSync(tempPath, { force: true });
  rmSync(`${tempPath}-journal`, { force: true });
}
