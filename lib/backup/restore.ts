// Puts a backup in place of opstage.db, for the restore CLI and the console alike. Two phases,
// so that a refused restore changes nothing and costs the console no downtime:
//
// prepareRestore — nothing is locked, the console keeps serving:
//   1. copy the backup into a temp file beside opstage.db, hashed on a second thread as it is
//      written, fsync — the only pass over the file when the backup's manifest records a passing
//      proof of these bytes (see prepareRestore); else, side by side in more workers, check the
//      backup's integrity (quick_check when its manifest has a checksum to compare, else the
//      full check on two threads, index-check.ts; copy and check take as long as the slower one,
//      not their sum). A replica's moment, restored into the data folder for this restore, is
//      not copied: it is hashed and checked where it is (`adopt`). The restore's threads run at
//      the server's priority: someone is waiting for them;
//   2. verify: the copy's sha256 against the manifest, the backup's integrity, and whether this
//      build can start on the copy. The backup must not have changed during step 1 (same inode,
//      size, mtime and ctime before and after), so the bytes checked are the bytes copied: what
//      is verified is what gets installed, even if the chosen file changes afterwards.
// installRestore — the caller owns the database (the CLI: the data-dir lock with the server
// stopped; the console: the exclusive lease with every handle closed):
//   3. fold the current WAL into opstage.db and leave WAL mode, so no -wal is left that SQLite
//      could replay onto the restored file (an unreadable database's -wal/-shm are moved aside);
//   4. carry the schedule over into the copy and list what the restore turns back
//      (restore-changes.ts);
//   5. keep the replaced database as the pre-restore backup: a hard link, so no copy is made and
//      at every instant one complete opstage.db exists (a copy when the backup folder is on
//      another file system);
//   6. rename the copy over opstage.db (atomic) and fsync the folder;
//   7. leave a marker so the next start (or the console, at once) audits backup.sqlite.restored.
// A crash at any point leaves the old or the new database in place. A pre-restore link made
// just before a crash shares the live file, which the next start removes (startup.ts).
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { link, writeFile } from "node:fs/promises";
import path from "node:path";
import { SYSTEM_ACTOR } from "../audit/record";
import { KnownError } from "../errors";
import type { Config } from "../config";
import { acquireDataDirLock } from "../db/data-dir-lock";
import { openDatabase } from "../db/sqlite";
import type { MigrationFile } from "../migrate/files";
import { APP_VERSION } from "../version";
import { backupFileName, commitTempFile, discardTempFile, ensureDir, tempPathFor, unreadableFileReason } from "./files";
import { manifestPath, readManifest, writeManifest } from "./manifest";
import { carryOverAndCompare, type RestoreChanges } from "./restore-changes";
import { applyRetention } from "./retention";
import { diskFreeBytes, isDiskFull } from "./space";
import { verifyDatabaseFile, type FileVerification } from "./verify";
import { checkIntegrity, checkIntegrityParallel, copyFileHashed, hashFile, type IntegrityResult } from "./worker";

/** The restore was refused; nothing was changed. */
export class RestoreError extends KnownError {
  override name = "RestoreError";
  constructor(message: string) {
    super("invalid", "restore_refused", message);
  }
}

export const RESTORE_MARKER = ".restored.json";

/** Restores keep this many pre-restore backups; older ones are deleted after each restore. */
export const PRE_RESTORE_KEEP = 3;

export type RestoreMarker = {
  file: string;
  sha256: string;
  restoredAt: string;
  preRestore: string | null;
  /** What proved the restored bytes sound (prepareRestore); absent in markers older than it. */
  integrityBy?: string;
};

/**
 * Milliseconds each step took (the benchmark and the CLI report them). copyMs and checkMs run side
 * by side, so the prepare phase takes about the larger of the two, not their sum.
 */
export type RestorePhases = {
  /** Step 1: copy into the temp file, hashed on the way, fsync'ed (an adopted file: only hashed). */
  copyMs: number;
  /** Step 1, beside the copy: quick_check or the full check (index-check.ts) of the backup. */
  checkMs: number;
  /** Step 2: the checksum compared and "can this build start on it" (opens the copy, reads its migrations). */
  verifyMs: number;
  /** Step 3: the live database's WAL folded in and WAL mode left. */
  walMs?: number;
  /** Step 4: the schedule carried over into the copy (one small commit in it). */
  carryOverMs?: number;
  /** Step 5: the replaced database kept (its manifest, then a hard link). */
  keepMs?: number;
  /** Steps 6-7: the rename over opstage.db, the folder's fsync, the marker. */
  swapMs?: number;
};

export type RestoreReport = RestoreMarker & {
  phasesMs: RestorePhases;
  pendingMigrations: number;
  changes: RestoreChanges | null;
  deletedPreRestores: string[];
};

/** Test hook (OPSTAGE_TEST_RESTORE_CRASH_AT): stop dead, as kill -9 would, after the named step. */
export type CrashPoint = NonNullable<Config["testRestoreCrashAt"]>;

function crashIf(point: CrashPoint, at: CrashPoint | undefined): void {
  if (point === at) process.kill(process.pid, "SIGKILL");
}

/** `label` names the source in the report and audit when its file name says nothing (a replica's restore). */
export type PreparedRestore = {
  source: string;
  temp: string;
  verification: FileVerification;
  label?: string;
  phasesMs: Pick<RestorePhases, "copyMs" | "checkMs" | "verifyMs">;
  integrityBy: string;
};

/**
 * The integrity of a backup whose manifest records a passing proof of the bytes with its sha256
 * (prepareRestore: it counts only when the copy's sha256 equals the manifest's; verify.ts
 * compares the two before it looks at this).
 */
const PROVEN_BY_ITS_PROOF: IntegrityResult = { sqlite: true, integrity: ["ok"], check: "integrity_check" };

/** Resolves as `work` does, and records when it settled (milliseconds since `since`). */
function timed<T>(work: Promise<T>, since: number, record: (ms: number) => void): Promise<T> {
  const done = () => record(performance.now() - since);
  work.then(done, done);
  return work;
}

/** Steps 1–2: a verified copy of `file` beside the database (or `file` itself, adopted), or RestoreError (and nothing left). */
export async function prepareRestore(input: {
  config: Config;
  file: string;
  shipped: MigrationFile[];
  crashAt?: CrashPoint;
  label?: string;
  /** What to do instead when the file is refused (a replica's restore: another moment). */
  refusalAdvice?: string;
  /**
   * The file is this restore's own, written into the data folder for it (a replica's moment,
   * which Litestream restored there): it is checked and installed where it is, not copied. If the
   * restore is refused, it is removed.
   */
  adopt?: boolean;
}): Promise<PreparedRestore> {
  const { config, shipped, crashAt } = input;
  const source = path.resolve(input.file);
  const unreadable = unreadableFileReason(source);
  if (unreadable) throw new RestoreError(unreadable);
  if (source === config.databasePath) throw new RestoreError("That is the live database itself.");
  ensureDir(config.dataDir);
  if (input.adopt && path.dirname(source) !== config.dataDir) {
    throw new Error(`Only a file in ${config.dataDir} can be restored without a copy, not ${source}.`);
  }
  const bytes = statSync(source).size;
  const free = input.adopt ? Infinity : diskFreeBytes(config.dataDir);
  if (free < bytes) {
    throw new RestoreError(
      `Not enough free space in ${config.dataDir} to restore ${path.basename(source)}: ` +
        `${Math.ceil(bytes / 1048576)} MB needed, ${Math.floor(free / 1048576)} MB free. Nothing was changed.`,
    );
  }
  const manifest =
    path.dirname(source) === config.backupDir ? readManifest(config.backupDir, path.basename(source)) : null;
  const temp = input.adopt ? source : tempPathFor(config.dataDir, "opstage.db");
  try {
    const before = fileIdentity(source);
    // A backup with a checksum in its manifest is restored only if the copy's sha256 equals it:
    // the very bytes a snapshot wrote from a database SQLite itself kept consistent. Its integrity
    // is then proven in one of two ways:
    // - its manifest records a proof that found it restorable (proof.ts: verify.ts ran a full
    //   integrity_check, and that proof either matched this same sha256 or recorded it). Equal
    //   sha256, equal bytes: the bytes written to the temp file are the bytes that passed
    //   integrity_check, whose verdict depends on nothing else. Nothing reads the file a second
    //   time: the copy is the only pass over it (a quick_check beside it doubled the CPU time of
    //   a restore, most of it on a 2-core host).
    // - no proof yet (a backup just made, its proof still running): quick_check of the backup
    //   beside the copy (every page and b-tree sound; 3-4× faster than integrity_check on
    //   indexed tables).
    // Files with nothing to compare (uploads, copies by hand, a replica's moment) get the full
    // check (index-check.ts): integrity_check's guarantee, but for records whose values read right
    // and are encoded otherwise (sampled), proven in parts on two threads, ~5× faster than
    // integrity_check on one.
    const proof = manifest?.sha256 && manifest.verification?.restorable ? manifest.verification : null;
    const quick = Boolean(manifest?.sha256);
    const phasesMs = { copyMs: 0, checkMs: 0, verifyMs: 0 };
    const started = performance.now();
    const check = proof
      ? Promise.resolve({
          ...PROVEN_BY_ITS_PROOF,
          by: `integrity_check by the backup's proof of ${proof.at} (same sha256)`,
        })
      : quick
        ? checkIntegrity(source, { quick, urgent: true }).then((result) => ({ ...result, by: "quick_check" }))
        : checkIntegrityParallel(source, { urgent: true });
    // An adopted file is already where it is installed from, and on disk (Litestream fsyncs what
    // it restores): hashing it is the only pass besides the check.
    const [sha256, { by, ...integrity }] = await Promise.all([
      timed(
        input.adopt ? hashFile(source, { urgent: true }) : copyFileHashed(source, temp, { urgent: true }),
        started,
        (ms) => (phasesMs.copyMs = ms),
      ),
      proof ? check : timed(check, started, (ms) => (phasesMs.checkMs = ms)),
    ]);
    const integrityBy = proof ? by : `${by} during the restore`;
    if (fileIdentity(source) !== before) {
      throw new RestoreError(
        `${source} changed while it was being copied and checked; nothing was changed. Try again.`,
      );
    }
    crashIf("after-copy", crashAt);
    const verifyStarted = performance.now();
    const verification = await verifyDatabaseFile(temp, shipped, manifest?.sha256 ?? null, { sha256, integrity });
    phasesMs.verifyMs = performance.now() - verifyStarted;
    if (!verification.restorable) {
      // The advice is for a damaged file; a file from a newer version or another app needs none.
      const damaged = verification.state === "corrupt" || verification.state === "not-sqlite";
      const detail =
        damaged && input.refusalAdvice
          ? `${verification.detail.replace(/\.?$/, ".")} Nothing was changed. ${input.refusalAdvice}`
          : verification.detail;
      throw new RestoreError(`Refusing to restore ${input.label ?? source}: ${detail}`);
    }
    crashIf("after-verify", crashAt);
    return { source, temp, verification, label: input.label, phasesMs, integrityBy };
  } catch (error) {
    discardTempFile(temp);
    if (isDiskFull(error))
      throw new RestoreError(`${config.dataDir} ran out of space while copying the backup; nothing was changed.`);
    throw error;
  }
}

/** What changes when anything writes to a file (ctime even when mtime is set back). */
function fileIdentity(file: string): string {
  const stats = statSync(file, { bigint: true });
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

const CANNOT_OPEN = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"]);

/**
 * Step 3. Returns false when the current database cannot be opened at all (often the reason for
 * restoring): its -wal/-shm are then moved to `asideBase`-wal/-shm instead of being deleted.
 * Any other error (SQLITE_BUSY: someone else is using it) is thrown, and nothing is replaced.
 */
function retireWal(databasePath: string, asideBase: string): boolean {
  let readable = true;
  try {
    const db = openDatabase(databasePath);
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
      // Leaving WAL mode checkpoints fully and deletes -wal/-shm when the connection closes.
      db.pragma("journal_mode = DELETE");
    } finally {
      db.close();
    }
  } catch (error) {
    if (!CANNOT_OPEN.has((error as { code?: string }).code ?? "")) throw error;
    readable = false;
  }
  for (const suffix of ["-wal", "-shm"]) {
    const file = `${databasePath}${suffix}`;
    // turbopackIgnore: a runtime path in the data dir. Without it Turbopack cannot bound the
    // template string and traces the whole project (tests, sources) into the standalone output.
    if (existsSync(/* turbopackIgnore: true */ file)) renameSync(file, `${asideBase}${suffix}`);
  }
  return readable;
}

/** Step 5: the replaced file under `name` in the backup folder; linked, or copied across devices. */
async function keepReplacedDatabase(databasePath: string, backupDir: string, name: string): Promise<void> {
  ensureDir(backupDir);
  const target = path.join(/* turbopackIgnore: true */ backupDir, name);
  try {
    await link(databasePath, target);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== "EXDEV") throw error;
  }
  const temp = tempPathFor(backupDir, name);
  try {
    copyFileSync(databasePath, temp);
    await commitTempFile(temp, target);
  } catch (error) {
    discardTempFile(temp);
    throw error;
  }
}

/** Steps 3–7. The caller owns the database: nobody may have it open. */
export async function installRestore(input: {
  config: Config;
  prepared: PreparedRestore;
  keepSettings: boolean;
  crashAt?: CrashPoint;
}): Promise<RestoreReport> {
  const { config, prepared, crashAt } = input;
  const { temp, verification } = input.prepared;
  const phasesMs: RestorePhases = { ...prepared.phasesMs };
  let lap = performance.now();
  const endOf = (phase: "walMs" | "carryOverMs" | "keepMs" | "swapMs") => {
    const now = performance.now();
    phasesMs[phase] = now - lap;
    lap = now;
  };
  try {
    let preRestore: string | null = null;
    let changes: RestoreChanges | null = null;
    if (existsSync(config.databasePath)) {
      // An unreadable database is kept as is, under a name that says so, with its -wal/-shm
      // moved beside it (retireWal); a readable one as a pre-restore backup.
      const unreadableName = `opstage-unreadable-${Date.now()}.db`;
      const readable = retireWal(config.databasePath, path.join(config.backupDir, `${unreadableName}.orphan`));
      crashIf("after-wal", crashAt);
      endOf("walMs");
      preRestore = readable ? backupFileName(new Date(), "pre-restore") : unreadableName;
      if (readable) changes = carryOverAndCompare(config.databasePath, temp, input.keepSettings);
      endOf("carryOverMs");
      ensureDir(config.backupDir);
      // The manifest first: start-up removes a pre-restore link that is still the live database
      // (a crash before the swap) only when its manifest says what it is (start-cleanup.ts).
      if (readable) {
        await writeManifest(config.backupDir, {
          name: preRestore,
          kind: "pre-restore",
          // Filled in right after the swap (completePreRestore), outside the window in which
          // the console answers 503; start-up completes it if a crash comes first.
          sha256: null,
          bytes: statSync(config.databasePath).size,
          createdAt: new Date().toISOString(),
          appVersion: APP_VERSION,
          lastMigration: null,
          databaseBytes: statSync(config.databasePath).size,
          durationMs: null,
          actor: { ...SYSTEM_ACTOR, label: "restore" },
        });
      }
      const kept = preRestore;
      await keepReplacedDatabase(config.databasePath, config.backupDir, kept).catch((error: unknown) => {
        rmSync(manifestPath(config.backupDir, kept), { force: true });
        throw error;
      });
      crashIf("after-snapshot", crashAt);
      endOf("keepMs");
    } else {
      for (const suffix of ["-wal", "-shm"]) rmSync(`${config.databasePath}${suffix}`, { force: true });
    }
    // Already on disk: the worker fsync'ed the copy, and SQLite's commit the carried-over settings.
    await commitTempFile(temp, config.databasePath, true);
    crashIf("after-rename", crashAt);

    const marker: RestoreMarker = {
      file: prepared.label ?? path.basename(prepared.source),
      sha256: verification.sha256,
      restoredAt: new Date().toISOString(),
      preRestore,
      integrityBy: prepared.integrityBy,
    };
    const markerTemp = tempPathFor(config.dataDir, RESTORE_MARKER);
    await writeFile(markerTemp, `${JSON.stringify(marker, null, 2)}\n`);
    await commitTempFile(markerTemp, path.join(config.dataDir, RESTORE_MARKER));
    endOf("swapMs");
    return { ...marker, phasesMs, pendingMigrations: verification.pendingMigrations, changes, deletedPreRestores: [] };
  } catch (error) {
    discardTempFile(temp);
    throw error;
  }
}

/**
 * After the swap: keep only the newest PRE_RESTORE_KEEP pre-restore backups. Returns the names
 * deleted. The new pre-restore backup's sha256 is not part of the restore: hashing it reads the
 * whole replaced database once more, a second pass over a file as large as the one restored, for
 * a manifest nothing needs until that backup is verified or restored. The server computes it
 * after answering (console-restore.ts) or at its next start (start-cleanup.ts), from a file
 * nobody writes any more: the hard link to the replaced inode.
 */
export function retirePreRestores(config: Config): string[] {
  return applyRetention(config.backupDir, PRE_RESTORE_KEEP, "pre-restore");
}

/** Computes a manifest's missing sha256 (a backup whose hashing a crash interrupted). */
export async function completeManifestHash(backupDir: string, name: string): Promise<boolean> {
  const manifest = readManifest(backupDir, name);
  if (!manifest || manifest.sha256 !== null) return false;
  const sha256 = await hashFile(path.join(/* turbopackIgnore: true */ backupDir, name));
  const current = readManifest(backupDir, name);
  if (!current || current.sha256 !== null) return false;
  await writeManifest(backupDir, { ...current, sha256 });
  return true;
}

/** The whole restore for the CLI (the server must be stopped): prepare, install, complete. */
export async function restoreDatabase(input: {
  config: Config;
  file: string;
  shipped: MigrationFile[];
  keepSettings?: boolean;
  crashAt?: CrashPoint;
  label?: string;
  refusalAdvice?: string;
  adopt?: boolean;
}): Promise<RestoreReport> {
  const { config } = input;
  ensureDir(config.dataDir);
  const lock = acquireDataDirLock(config.dataDir);
  let report: RestoreReport;
  try {
    const prepared = await prepareRestore(input);
    report = await installRestore({
      config,
      prepared,
      keepSettings: input.keepSettings ?? true,
      crashAt: input.crashAt,
    });
  } finally {
    lock.release();
  }
  return { ...report, deletedPreRestores: retirePreRestores(config) };
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
