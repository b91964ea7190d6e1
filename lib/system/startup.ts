// What the server does before it serves its first request (called from instrumentation.ts):
// validate configuration, open the database, apply pending migrations, create the first owner,
// start the services (services.ts), and arrange for a clean stop (shutdown.ts) and a clean WAL
// checkpoint at exit.
import { ConfigError, getConfig } from "../config";
import { configureLogging, logger } from "../log";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { takeRestoreMarker } from "../backup/restore";
import { closeAppDatabase, getAppDatabase } from "../db/app-database";
import { DataDirLockedError, holdDataDirLockForProcess } from "../db/data-dir-lock";
import { migrationsDir } from "../db/paths";
import { checkpointTruncate, enableWal, setWalCheckpointOwner } from "../db/sqlite";
import { bootstrapOwner } from "../auth/users";
import { ensureDir, removeOrphanManifests, removeStaleTempFiles } from "../backup/files";
import { completeUnhashedBackups, removeLinksToDatabase } from "../backup/start-cleanup";
import { readMigrationFiles } from "../migrate/files";
import { MigrationError } from "../migrate/status";
import { queueOffsiteCopy } from "../offsite/queue";
import { stopLitestreamSync } from "../replication/supervisor";
import { migrateOnStart } from "./upgrade";
import { APP_VERSION } from "../version";
import { notify } from "../alerts/notify";
import { restoreDoneEvent, upgradeAppliedEvent } from "./lifecycle-alerts";
import { healthReport } from "./health-report";
import { publishHealthReport } from "./published-health";
import { restoreOnEmptyStart, RestoreOnEmptyError, type EmptyStartRestore } from "./restore-on-empty";
import { startServices } from "./services";
import { stopOnSignals } from "./shutdown";
import { getScheduler } from "../backup/schedule";
import { existsSync } from "node:fs";

const log = (message: string) => logger().info(message);

/** One clear line and a non-zero exit: the container's restart policy and logs show why. */
function exitWith(message: string): never {
  logger().fatal(message);
  process.exit(1);
}

function describe(error: unknown): string {
  if (
    error instanceof ConfigError ||
    error instanceof MigrationError ||
    error instanceof DataDirLockedError ||
    error instanceof RestoreOnEmptyError
  ) {
    return error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/file is not a database|malformed/i.test(message)) {
    return `opstage.db is not a readable SQLite database (${message}). Restore a backup in its place.`;
  }
  return message;
}

function installExitCheckpoint(replicating: boolean): void {
  // At SIGTERM/SIGINT, shutdown.ts stops the services and lets the requests using the database
  // finish, then calls process.exit. 'exit' listeners run then and may only do synchronous work,
  // which better-sqlite3 is: fold the WAL into opstage.db and close, so that a stopped data dir
  // is one self-contained file that a plain cp backs up.
  process.once("exit", () => {
    if (replicating) {
      // Litestream first: SIGTERM makes it ship what it has not yet (its final sync). Then no
      // checkpoint and no close: a WAL folded in completely gets restarted by the next write (a
      // CLI command, the next start), and Litestream then finds a WAL header it does not know
      // and uploads a whole new generation. The WAL stays as Litestream left it — everything in
      // it committed and fsync'ed — and the process exits; the next open replays it as after any
      // exit. A stopped data dir is then opstage.db plus opstage.db-wal (copy both).
      const synced = stopLitestreamSync();
      logger().info(
        synced
          ? "Litestream stopped after its final sync; WAL left to Litestream"
          : "Litestream was killed: it did not stop in time; WAL left to Litestream",
      );
      return;
    }
    const complete = closeAppDatabase(checkpointTruncate);
    logger().info(`database closed${complete ? " (WAL checkpointed)" : " (WAL checkpoint incomplete)"}`);
  });
}

function describeEmptyStartRestore(restored: EmptyStartRestore): string {
  const what =
    restored.source === "offsite"
      ? `offsite copy ${restored.copy} from ${restored.from}`
      : `the replica at ${restored.from}, its latest moment${restored.generationEnd ? ` (${restored.generationEnd}, generation ${restored.generation})` : ""}`;
  const skipped = restored.skipped.length > 0 ? `; ${restored.skipped.length} newer cop(ies) did not verify` : "";
  return `${what}${skipped}`;
}

export async function startOpstage(): Promise<void> {
  try {
    const config = getConfig();
    configureLogging(config.log);
    ensureDir(config.dataDir);
    ensureDir(config.backupDir);
    log(`Opstage CE ${APP_VERSION}; data in ${config.dataDir}`);
    // First own the data dir: a second server (or a running restore) must not be disturbed, not
    // even by the clean-up below.
    holdDataDirLockForProcess(config.dataDir);
    // From now on a SIGTERM stops what runs and exits 0 (shutdown.ts), during start-up too.
    stopOnSignals();
    // Before the first connection opens: with replication on, Litestream alone checkpoints.
    const replicating = config.replication.replica !== "off";
    setWalCheckpointOwner(replicating ? "litestream" : "sqlite");
    // Unfinished files from a crash: backups being written, a restore's copy of its backup.
    const stale = [...removeStaleTempFiles(config.backupDir), ...removeStaleTempFiles(config.dataDir)];
    if (stale.length > 0) log(`removed ${stale.length} unfinished backup file(s) left by a crash: ${stale.join(", ")}`);
    const orphans = removeOrphanManifests(config.backupDir);
    if (orphans.length > 0)
      log(`removed the manifests of ${orphans.length} backup(s) that were never completed: ${orphans.join(", ")}`);
    // Before anything opens the database: a write to it would change such a file too.
    const links = removeLinksToDatabase(config.backupDir, config.databasePath);
    if (links.length > 0)
      log(`removed ${links.join(", ")}: a restore stopped before replacing the database it was keeping`);

    // Before anything creates opstage.db: an empty data folder over a disaster must get the
    // database back, never a new one with a fresh owner.
    let restoredOnEmpty: EmptyStartRestore | null = null;
    if (config.restoreOnEmpty.source !== "off" && !existsSync(config.databasePath)) {
      restoredOnEmpty = await restoreOnEmptyStart(config, log);
      log(`restored on an empty start: ${describeEmptyStartRestore(restoredOnEmpty)}`);
    }

    const db = getAppDatabase();
    const { applied, status, snapshot } = await migrateOnStart(
      db,
      readMigrationFiles(migrationsDir()),
      APP_VERSION,
      config,
      log,
    );
    enableWal(db);
    log(
      applied.length > 0
        ? `database migrated to ${status.latestApplied} (${applied.length} applied)`
        : `database up to date (${status.latestApplied})`,
    );

    const restored = takeRestoreMarker(config.dataDir);
    if (restored) {
      log(`this database was restored from ${restored.file} (sha256 ${restored.sha256.slice(0, 12)}…)`);
      await recordAuditSafely({
        actor: { ...SYSTEM_ACTOR, id: "restore" },
        action: "backup.sqlite.restored",
        result: "SUCCESS",
        targetType: "backup",
        targetId: restored.file,
        metadata: restoredOnEmpty ? { ...restored, onEmptyStart: restoredOnEmpty } : { ...restored },
      });
      const by = restoredOnEmpty
        ? `a start on an empty data folder (OPSTAGE_RESTORE_ON_EMPTY=${restoredOnEmpty.source})`
        : "the command line";
      notify(restoreDoneEvent(restored.file, by, restored.preRestore));
    }
    if (applied.length > 0) notify(upgradeAppliedEvent(status.latestApplied, applied, snapshot?.name ?? null));

    const bootstrap = await bootstrapOwner({ username: config.adminUsername, password: config.adminPassword });
    if (bootstrap) {
      log(`created the first owner: ${bootstrap.user.username}`);
      if (bootstrap.generatedPassword) {
        log(`generated password (shown once, change it after signing in): ${bootstrap.generatedPassword}`);
      }
    }
    installExitCheckpoint(replicating);
    await startServices(config);
    const schedule = await getScheduler(config).status();
    if (schedule.cron) log(`backup schedule "${schedule.cron}" (keep ${schedule.keep}); next run ${schedule.nextRun}`);
    // In the background: hashing a large file takes seconds, and nothing waits for it.
    void completeUnhashedBackups(config.backupDir, log);
    // Only now, not where the snapshot is taken: the copy reads its target from the database, a
    // read that must not run before the migrations it depends on.
    if (snapshot) queueOffsiteCopy({ config, name: snapshot.name, kind: "pre-upgrade" });
    publishHealthReport(healthReport);
  } catch (error) {
    exitWith(describe(error));
  }
}
