// Backup file names and the atomic-write discipline: a snapshot is written under a temporary,
// dot-prefixed name in the backup folder, fsync'ed, then renamed to its final name and the
// folder fsync'ed. A crash at any point leaves either no file or a complete one under the final
// name — never a half-written file that looks like a backup.
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { link, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { isReservedDataFileName } from "../db/data-folder";
import { KnownError } from "../errors";

const TEMP_PREFIX = ".tmp-";

/** `opstage-20261124T225959.123Z.db`: sorts by time, safe on every filesystem. */
export function backupFileName(at = new Date(), label?: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, "");
  return label ? `opstage-${stamp}-${label}.db` : `opstage-${stamp}.db`;
}

export const BACKUP_NAME_PATTERN = /^opstage-\d{8}T\d{6}\.\d{3}Z(-[a-z0-9._-]+)?\.db$/;

// Names accepted from requests and from the folder listing: one path segment, no leading dot
// (temp files, hidden files), no "..", ending in .db.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.db$/;

/** An unsafe name, or no such backup. */
export class BackupNameError extends KnownError {
  override name = "BackupNameError";
  constructor(message: string) {
    super("not_found", "not_found", message);
  }
}

/** Why `name` cannot be a backup's name, or null when it can. */
export function backupNameProblem(name: string): string | null {
  if (!SAFE_NAME.test(name) || name.includes(".."))
    return "The name must be a file name ending in .db (letters, digits, . _ -; not starting with a dot).";
  // Whatever the folders are, the live database and its companions are never a backup.
  if (isReservedDataFileName(name)) return `${name} is the name of the live database's own file; choose another name.`;
  return null;
}

export function isSafeBackupName(name: string): boolean {
  return backupNameProblem(name) === null;
}

/**
 * Why `file` (a path an operator typed) cannot be read as a backup, or null when it is a regular
 * file. A folder would otherwise fail deep inside SQLite with "EISDIR".
 */
export function unreadableFileReason(file: string): string | null {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats) return `${file} does not exist.`;
  if (!stats.isFile())
    return `${file} is ${stats.isDirectory() ? "a folder" : "not a regular file"}, not a backup file.`;
  return null;
}

/**
 * The file an operator means by `given`: a path as typed, or — when no such file exists and it is
 * a bare name — the stored backup of that name, as `opstage list` prints it. A path that exists
 * wins, so a command that worked with a path before works the same.
 */
export function resolveBackupArgument(given: string, backupDir: string): string {
  const asPath = path.resolve(given);
  if (existsSync(asPath) || given.includes("/") || given.includes(path.sep)) return asPath;
  const stored = path.join(backupDir, given);
  if (isSafeBackupName(given) && existsSync(stored)) return stored;
  throw new BackupNameError(
    `${given} is neither a file nor a stored backup in ${backupDir}. Give a path, or a name as "opstage list" prints it.`,
  );
}

/**
 * The path of backup `name` in `backupDir`, for reading or deleting. Refuses unsafe names and
 * anything that is not a regular file there: a symlink is never followed out of the folder.
 */
export function backupPath(backupDir: string, name: string): string {
  if (!isSafeBackupName(name)) throw new BackupNameError(`"${name}" is not a valid backup name.`);
  const file = path.join(backupDir, name);
  let stats;
  try {
    stats = lstatSync(file);
  } catch {
    throw new BackupNameError(`No backup named ${name}.`);
  }
  if (!stats.isFile()) throw new BackupNameError(`${name} is not a regular file.`);
  return file;
}

export function tempPathFor(directory: string, finalName: string): string {
  return path.join(directory, `${TEMP_PREFIX}${finalName}.${randomBytes(4).toString("hex")}`);
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

// fsync through libuv's thread pool: on a busy disk it can take long, and the event loop must
// keep serving requests meanwhile.
async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Renames a complete temp file into place and fsyncs the folder so the rename itself is durable.
 * The file's own contents must already be fsync'ed (`alreadySynced`), else it is done here.
 */
export async function commitTempFile(tempPath: string, finalPath: string, alreadySynced = false): Promise<void> {
  if (!alreadySynced) await fsyncPath(tempPath);
  await rename(tempPath, finalPath);
  await fsyncPath(path.dirname(finalPath));
}

export class BackupExistsError extends KnownError {
  override name = "BackupExistsError";
  constructor(name: string) {
    super("conflict", "exists", `A backup named ${name} already exists; choose another name (nothing is overwritten).`);
  }
}

/**
 * commitTempFile for a name that must not exist yet: link() fails when the final name exists,
 * atomically, where a check before rename() would let two writers both pass and the second
 * replace the first. Throws BackupExistsError (and keeps the temp file for the caller to discard).
 */
export async function commitTempFileAsNew(tempPath: string, finalPath: string): Promise<void> {
  await fsyncPath(tempPath);
  try {
    await link(tempPath, finalPath);
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") throw new BackupExistsError(path.basename(finalPath));
    throw error;
  }
  await unlink(tempPath);
  await fsyncPath(path.dirname(finalPath));
}

/** Removes a temp file and the rollback journal SQLite may have left beside it. */
export function discardTempFile(tempPath: string): void {
  rmSync(tempPath, { force: true });
  rmSync(`${tempPath}-journal`, { force: true });
}

/**
 * Removes manifests whose backup file is gone: a crash between writing a new backup's manifest
 * and renaming the backup into place, or between deleting a backup and its manifest. Called at
 * start; returns the backup names.
 */
export function removeOrphanManifests(directory: string): string[] {
  // turbopackIgnore on the run-time paths below: without it Turbopack cannot bound
  // existsSync(path.join(dir, name)) and traces the whole project into the standalone output.
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith(".db.json") && !name.startsWith(TEMP_PREFIX));
  } catch {
    return [];
  }
  const orphans = names
    .map((name) => name.slice(0, -".json".length))
    .filter((name) => !existsSync(path.join(/* turbopackIgnore: true */ directory, name)));
  for (const name of orphans) rmSync(path.join(/* turbopackIgnore: true */ directory, `${name}.json`), { force: true });
  return orphans;
}

/** Removes temp files a crash left behind; returns their names. Called at start. */
export function removeStaleTempFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return [];
  }
  for (const name of names) rmSync(path.join(directory, name), { force: true });
  return names;
}
