// Restore from the console, in the running server: the same two phases as the CLI (restore.ts).
// The copy and its verification run while the console keeps serving; only the swap runs with the
// services paused (services.ts: the scheduler's run in progress ends first, Litestream lets go of
// the file it follows) and under the exclusive database lease (lib/db/runtime.ts), after which
// the server migrates the new file as a start would and audits the restore in it.
import { notify } from "../alerts/notify";
import { restoreDoneEvent } from "./lifecycle-alerts";
import { recordAuditSafely, type AuditActor, type RequestOrigin } from "../audit/record";
import { bootstrapOwner } from "../auth/users";
import { backupPath, discardTempFile } from "../backup/files";
import {
  completeManifestHash,
  installRestore,
  prepareRestore,
  retirePreRestores,
  takeRestoreMarker,
  type PreparedRestore,
  type RestorePhases,
  type RestoreReport,
} from "../backup/restore";
import type { Config } from "../config";
import { logger } from "../log";
import { getAppDatabase } from "../db/app-database";
import { exclusiveSince, LeaseBusyError } from "../db/lease";
import { withDatabaseReleased } from "../db/runtime";
import { enableWal } from "../db/sqlite";
import type { MigrationFile } from "../migrate/files";
import {
  discardReplicaRestore,
  REPLICA_REFUSAL_ADVICE,
  restoreReplicaToTemp,
  type ReplicaRestore,
} from "../replication/point-in-time";
import { claimMomentCheck, type MomentCheck } from "../replication/moment-check";
import { withServicesPaused } from "./services";
import { migrateOnStart } from "./upgrade";
import { APP_VERSION } from "../version";

/** The restore's own steps (restore.ts) and what the console adds around the swap, in milliseconds. */
export type ConsoleRestorePhases = RestorePhases & {
  /** Services stopped and the exclusive lease taken (requests in flight drained). */
  pauseMs: number;
  /** The new file migrated as a start would, and put back in WAL mode. */
  reopenMs: number;
  /** The restore audited in the new file, the owner ensured. */
  auditMs: number;
  /** Services started again on the new file. */
  resumeMs: number;
  /** From the request's start of the restore to its answer. */
  totalMs: number;
};

export type ConsoleRestoreReport = RestoreReport & { phasesMs: ConsoleRestorePhases };

export async function restoreFromConsole(input: {
  config: Config;
  /** A stored backup's name, or (with `file`) a label for what is restored. */
  name: string;
  /**
   * Restore this file instead of the stored backup `name`: a replica's point-in-time restore,
   * written into the data folder for this restore, which installs it without a copy.
   */
  file?: string;
  /** Already verified (a checked moment, moment-check.ts): installed as it is. */
  prepared?: PreparedRestore;
  shipped: MigrationFile[];
  /** Keep this instance's schedule (default) instead of the backup's own. */
  keepSettings: boolean;
  actor: AuditActor;
  actorLabel: string;
  origin: RequestOrigin;
}): Promise<ConsoleRestoreReport> {
  const { config, shipped } = input;
  const started = performance.now();
  const around = { pauseMs: 0, reopenMs: 0, auditMs: 0, resumeMs: 0 };
  const log = (message: string) => logger().info(`restore: ${message}`);
  if (exclusiveSince() !== null) throw new LeaseBusyError("A restore is already in progress; nothing was changed.");
  const prepared =
    input.prepared ??
    (await prepareRestore({
      config,
      file: input.file ?? backupPath(config.backupDir, input.name),
      shipped,
      ...(input.file ? { label: input.name, refusalAdvice: REPLICA_REFUSAL_ADVICE, adopt: true } : {}),
    }));
  log(`verified a copy of ${input.name}; replacing the database`);

  // Paused, then started again on the file in place: Litestream follows the file it opened, so it
  // starts a new generation on the restored one (another database); the scheduler reads its
  // settings anew.
  let report: RestoreReport;
  const pausing = performance.now();
  let resuming = 0;
  try {
    report = await withServicesPaused(() =>
      withDatabaseReleased(async () => {
        around.pauseMs = performance.now() - pausing;
        let installed: RestoreReport;
        let reopening = 0;
        try {
          installed = await installRestore({ config, prepared, keepSettings: input.keepSettings });
          log(`installed ${installed.file}; the replaced database is ${installed.preRestore}`);
        } finally {
          // Whatever happened, serve again on the file now in place (the old one when the swap
          // failed): migrate it as a start would.
          reopening = performance.now();
          const db = getAppDatabase();
          await migrateOnStart(db, shipped, APP_VERSION, config, log);
          enableWal(db);
          around.reopenMs = performance.now() - reopening;
        }
        const auditing = performance.now();
        const marker = takeRestoreMarker(config.dataDir);
        await recordAuditSafely({
          actor: input.actor,
          action: "backup.sqlite.restored",
          result: "SUCCESS",
          targetType: "backup",
          targetId: installed.file,
          origin: input.origin,
          metadata: { ...(marker ?? installed), changes: installed.changes, by: input.actorLabel },
        });
        const bootstrap = await bootstrapOwner({ username: config.adminUsername, password: config.adminPassword });
        if (bootstrap?.generatedPassword) {
          log(
            `the restored database had no users; created ${bootstrap.user.username} with password ${bootstrap.generatedPassword}`,
          );
        }
        around.auditMs = performance.now() - auditing;
        resuming = performance.now();
        return installed;
      }),
    );
    around.resumeMs = performance.now() - resuming;
  } catch (error) {
    // Refused before the swap (requests still running past the drain time): drop the copy.
    discardTempFile(prepared.temp);
    throw error;
  }
  let deletedPreRestores: string[] = [];
  try {
    deletedPreRestores = retirePreRestores(config);
  } catch (error) {
    logger().error({ err: error }, "restore: could not delete older pre-restore backups");
  }
  // After the answer: the restore is complete without it (restore.ts, retirePreRestores).
  if (report.preRestore) {
    void completeManifestHash(config.backupDir, report.preRestore).catch((error: unknown) =>
      logger().error({ err: error }, "restore: could not hash the pre-restore backup into its manifest"),
    );
  }
  notify(restoreDoneEvent(report.file, input.actorLabel, report.preRestore));
  const phasesMs = { ...report.phasesMs, ...around, totalMs: performance.now() - started };
  log(
    `done in ${Math.round(phasesMs.totalMs)} ms: ${Object.entries(phasesMs)
      .map(([phase, ms]) => `${phase.replace(/Ms$/, "")} ${Math.round(ms)}`)
      .join(", ")}`,
  );
  return { ...report, phasesMs, deletedPreRestores };
}

/**
 * Point-in-time restore from the console: Litestream restores the replica as it was at `at` into
 * a temp file (lib/replication/point-in-time.ts), which then goes through restoreFromConsole like
 * any backup. The report's `file` names the replica and the moment.
 */
export async function restoreMomentFromConsole(
  input: Omit<Parameters<typeof restoreFromConsole>[0], "name" | "file"> & {
    at: Date | "latest";
    /** The age identity of an encrypted replica: used for this restore only, never stored or logged. */
    identityText?: string | null;
  },
): Promise<ConsoleRestoreReport & { moment: string; requested: string; generation: ReplicaRestore["generation"] }> {
  if (exclusiveSince() !== null) throw new LeaseBusyError("A restore is already in progress; nothing was changed.");
  const { identityText, ...rest } = input;
  const restored = await restoreReplicaToTemp(input.config, input.at, { identityText });
  try {
    const report = await restoreFromConsole({
      ...rest,
      name: `replica ${restored.replicaLabel} as of ${restored.moment}`,
      file: restored.file,
    });
    return { ...report, moment: restored.moment, requested: restored.requested, generation: restored.generation };
  } finally {
    discardReplicaRestore(restored.file);
  }
}

/**
 * Installs a moment checked before (moment-check.ts): the verified file that the owner saw
 * verified is what goes in place; the replica is not read again. The check is gone afterwards,
 * whether the install succeeded or failed.
 */
export async function restoreCheckedMomentFromConsole(
  input: Omit<Parameters<typeof restoreFromConsole>[0], "name" | "file" | "prepared"> & { checkId: string },
): Promise<RestoreReport & { moment: string; requested: string; generation: MomentCheck["generation"] }> {
  if (exclusiveSince() !== null) throw new LeaseBusyError("A restore is already in progress; nothing was changed.");
  const { checkId, ...rest } = input;
  const { prepared, check, release } = claimMomentCheck(input.config, checkId);
  try {
    const report = await restoreFromConsole({ ...rest, name: prepared.label!, prepared });
    return { ...report, moment: check.moment, requested: check.requested, generation: check.generation };
  } finally {
    release();
  }
}
