// Puts a backup in place of opstage.db, for the restore CLI (and later the console). Every step is
// ordered so that a crash at any point leaves either the old or the new database in place, and
// never a stale -wal that SQLite could replay onto the restored file:
//   1. own the data dir (the server must be stopped);
//   2. verify the file as `verify` does (refuse non-SQLite, corrupt, newer-schema files);
//   3. store a `pre-restore` snapshot of the current database (read through its WAL);
//   4. copy the backup to a temp file beside opstage.db and fsync it;
//   5. fold the current WAL into opstage.db and drop it (or, when the current database cannot be
//      opened, move its -wal/-shm aside next to the pre-restore snapshot);
//   6. rename the temp file over opstage.db (atomic) and fsync the folder;
//   7. leave a marker so the next start audits backup.sqlite.restored.
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { SYSTEM_ACTOR } from "../audit/record";
import type { Config } from "../config";
import { acquireDataDirLock } from "../db/data-dir-lock";
import type { MigrationFile } from "../migrate/files";
import { createBackup } from "./create";
import { commitTempFile, discardTempFile, ensureDir, tempPathFor, unreadableFileReason } from "./files";
import { readManifest } from "./manifest";
import { verifyDatabaseFile } from "./verify";

export class RestoreError extends Error {
  override name = "RestoreError";
}

export const RESTORE_MARKER = ".restored.json";

export type RestoreMarker = { file: string; sha256: string; restoredAt: string; preRestore: string | null };

export type RestoreReport = RestoreMarker & { pendingMigrations: number };

/** Test hook (OPSTAGE_TEST_RESTORE_CRASH_AT): stop dead, as kill -9 would, after the named step. */
export type CrashPoint = NonNullable<Config["testRestoreCrashAt"]>;

function crashIf(point: CrashPoint, at: CrashPoint | undefined): void {
  if (point === at) process.kill(process.pid, "SIGKILL");
}

function retireWal(databasePath: string, asideBase: string): void {
  try {
    const db = new Database(databasePath, { fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      db.pragma("wal_checkpoint(TRUNCATE)");
      // Leaving WAL mode checkpoints fully and deletes -wal/-shm when the connection closes.
      db.pragma("journal_mode = DELETE");
    } finally {
      db.close();
    }
  } catch {
    // The current database cannot be opened (often the reason for restoring): keep its WAL files
    // beside the pre-restore snapshot instead of deleting anything.
  }
  for (const suffix of ["-wal", "-shm"]) {
    const file = `${databasePath}${suffix}`;
    // turbopackIgnore: a runtime path in the data dir. Without it Turbopack cannot bound the
    // template string and traces the whole project (tests, sources) into the standalone output.
    if (existsSync(/* turbopackIgnore: true */ file)) renameSync(file, `${asideBase}${suffix}`);
  }
}

export async function restoreDatabase(input: {
  config: Config;
  file: string;
  shipped: MigrationFile[];
  crashAt?: CrashPoint;
  /** The caller (the server restoring from the console) already owns the data dir. */
  lockHeld?: boolean;
}): Promise<RestoreReport> {
  const { config, shipped, crashAt } = input;
  const source = path.resolve(input.file);
  const unreadable = unreadableFileReason(source);
  if (unreadable) throw new RestoreError(unreadable);
  if (source === config.databasePath) throw new RestoreError("That is the live database itself.");
  ensureDir(config.dataDir);
  const lock = input.lockHeld ? { release: () => {} } : acquireDataDirLock(config.dataDir);
  try {
    const manifest =
      path.dirname(source) === config.backupDir ? readManifest(config.backupDir, path.basename(source)) : null;
    const verification = await verifyDatabaseFile(source, shipped, manifest?.sha256 ?? null);
    if (!verification.restorable) throw new RestoreError(`Refusing to restore ${source}: ${verification.detail}`);
    crashIf("after-verify", crashAt);

    let preRestore: string | null = null;
    if (existsSync(config.databasePath)) {
      try {
        const snapshot = await createBackup({
          databasePath: config.databasePath,
          backupDir: config.backupDir,
          kind: "pre-restore",
          label: "pre-restore",
          actor: { ...SYSTEM_ACTOR, label: "restore" },
        });
        await snapshot.finalize();
        preRestore = snapshot.path;
      } catch (error) {
        // An unreadable current database cannot be snapshotted; it is kept as a plain copy
        // (its -wal/-shm are moved beside it below), written like every other backup file.
        preRestore = path.join(config.backupDir, `opstage-unreadable-${Date.now()}.db`);
        ensureDir(config.backupDir);
        const copyTemp = tempPathFor(config.backupDir, path.basename(preRestore));
        try {
          copyFileSync(config.databasePath, copyTemp);
          await commitTempFile(copyTemp, preRestore);
        } catch (copyError) {
          discardTempFile(copyTemp);
          throw copyError;
        }
        console.warn(`restore: the current database could not be snapshotted (${(error as Error).message}); copied it as is`);
      }
    }
    crashIf("after-snapshot", crashAt);

    const temp = tempPathFor(config.dataDir, "opstage.db");
    try {
      copyFileSync(source, temp);
      crashIf("after-copy", crashAt);
      if (existsSync(config.databasePath)) {
        retireWal(config.databasePath, `${preRestore ?? path.join(config.backupDir, "opstage-replaced.db")}.orphan`);
      } else {
        for (const suffix of ["-wal", "-shm"]) rmSync(`${config.databasePath}${suffix}`, { force: true });
      }
      crashIf("after-wal", crashAt);
      await commitTempFile(temp, config.databasePath);
    } catch (error) {
      discardTempFile(temp);
      throw error;
    }
    crashIf("after-rename", crashAt);

    const marker: RestoreMarker = {
      file: path.basename(source),
      sha256: verification.sha256,
      restoredAt: new Date().toISOString(),
      preRestore: preRestore ? path.basename(preRestore) : null,
    };
    const markerTemp = tempPathFor(config.dataDir, RESTORE_MARKER);
    await writeFile(markerTemp, `${JSON.stringify(marker, null, 2)}\n`);
    await commitTempFile(markerTemp, path.join(config.dataDir, RESTORE_MARKER));
    return { ...marker, pendingMigrations: shipped.length - verification.migrations.length };
  } finally {
    lock.release();
  }
}

/** Reads and removes the marker a restore left; the caller audits it. */
export function takeRestoreMarker(dataDir: string): RestoreMarker | null {
  const file = path.join(dataDir, RESTORE_MARKER);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RestoreMarker;
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
}
