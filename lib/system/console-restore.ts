// Restore from the console, in the running server: the same two phases as the CLI (restore.ts).
// The copy and its verification run while the console keeps serving; only the swap runs under
// the exclusive database lease (lib/db/runtime.ts), after which the server migrates the new file
// as a start would and audits the restore in it.
import { notify } from "../alerts/notify";
import { restoreDoneEvent } from "./lifecycle-alerts";
import { recordAuditSafely, type AuditActor, type RequestOrigin } from "../audit/record";
import { bootstrapOwner } from "../auth/users";
import { backupPath, discardTempFile } from "../backup/files";
import {
  completePreRestore,
  installRestore,
  prepareRestore,
  takeRestoreMarker,
  type RestoreReport,
} from "../backup/restore";
import { getScheduler } from "../backup/schedule";
import type { Config } from "../config";
import { logger } from "../log";
import { getAppDatabase } from "../db/app-database";
import { exclusiveSince, LeaseBusyError } from "../db/lease";
import { withDatabaseReleased } from "../db/runtime";
import { enableWal } from "../db/sqlite";
import type { MigrationFile } from "../migrate/files";
import { migrateOnStart } from "./upgrade";
import { APP_VERSION } from "../version";

export async function restoreFromConsole(input: {
  config: Config;
  name: string;
  shipped: MigrationFile[];
  /** Keep this instance's schedule (default) instead of the backup's own. */
  keepSettings: boolean;
  actor: AuditActor;
  actorLabel: string;
  origin: RequestOrigin;
}): Promise<RestoreReport> {
  const { config, shipped } = input;
  const log = (message: string) => logger().info(`restore: ${message}`);
  if (exclusiveSince() !== null) throw new LeaseBusyError("A restore is already in progress; nothing was changed.");
  const file = backupPath(config.backupDir, input.name);
  const prepared = await prepareRestore({ config, file, shipped });
  log(`verified a copy of ${input.name}; replacing the database`);

  const scheduler = getScheduler(config);
  scheduler.stop();
  let report: RestoreReport;
  try {
    report = await withDatabaseReleased(async () => {
      let installed: RestoreReport;
      try {
        installed = await installRestore({ config, prepared, keepSettings: input.keepSettings });
        log(`installed ${installed.file}; the replaced database is ${installed.preRestore}`);
      } finally {
        // Whatever happened, serve again on the file now in place (the old one when the swap
        // failed): migrate it as a start would.
        const db = getAppDatabase();
        await migrateOnStart(db, shipped, APP_VERSION, config, log);
        enableWal(db);
      }
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
      return installed;
    });
  } catch (error) {
    // Refused before the swap (requests still running past the drain time): drop the copy.
    discardTempFile(prepared.temp);
    throw error;
  } finally {
    await scheduler.start();
  }
  const deletedPreRestores = await completePreRestore(config, report).catch((error: unknown) => {
    logger().error({ err: error }, "restore: could not complete the pre-restore backup's manifest");
    return [];
  });
  notify(restoreDoneEvent(report.file, input.actorLabel, report.preRestore));
  return { ...report, deletedPreRestores };
}
