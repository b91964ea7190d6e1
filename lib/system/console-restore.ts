// Restore from the console, in the running server: the same file swap as the CLI (restore.ts),
// with the server's own handles closed around it and everything start-up does run again after.
import { recordAuditSafely, type AuditActor, type RequestOrigin } from "../audit/record";
import { bootstrapOwner } from "../auth/users";
import { backupPath } from "../backup/files";
import { restoreDatabase, takeRestoreMarker, type RestoreReport } from "../backup/restore";
import { getScheduler } from "../backup/schedule";
import type { Config } from "../config";
import { closeAppDatabase, getAppDatabase } from "../db/app-database";
import { resetPrisma } from "../db/prisma";
import { checkpointTruncate, enableWal } from "../db/sqlite";
import type { MigrationFile } from "../migrate/files";
import { whileRestoring } from "./maintenance";
import { migrateOnStart } from "./upgrade";
import { APP_VERSION } from "./version";

// Requests that passed the guard just before the flag was set get this long to finish before
// their database handles are closed under them.
const DRAIN_MS = 1000;

export async function restoreFromConsole(input: {
  config: Config;
  name: string;
  shipped: MigrationFile[];
  actor: AuditActor;
  actorLabel: string;
  origin: RequestOrigin;
}): Promise<RestoreReport> {
  const { config, shipped } = input;
  const file = backupPath(config.backupDir, input.name);
  return whileRestoring(async () => {
    const log = (message: string) => console.log(`[opstage] restore: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const scheduler = getScheduler(config);
    scheduler.stop();
    await resetPrisma();
    closeAppDatabase(checkpointTruncate);
    let report: RestoreReport;
    try {
      report = await restoreDatabase({ config, file, shipped, lockHeld: true });
      log(`installed ${report.file}; the replaced database is ${report.preRestore}`);
    } finally {
      // Whatever happened, serve again on the file now in place (the old one when the swap was
      // refused): migrate it as a start would.
      const db = getAppDatabase();
      await migrateOnStart(db, shipped, APP_VERSION, config, log);
      enableWal(db);
      await scheduler.start();
    }
    const marker = takeRestoreMarker(config.dataDir);
    await recordAuditSafely({
      actor: input.actor,
      action: "backup.sqlite.restored",
      result: "SUCCESS",
      targetType: "backup",
      targetId: report.file,
      origin: input.origin,
      metadata: { ...(marker ?? report), by: input.actorLabel },
    });
    const bootstrap = await bootstrapOwner({ username: config.adminUsername, password: config.adminPassword });
    if (bootstrap?.generatedPassword) {
      log(`the restored database had no users; created ${bootstrap.user.username} with password ${bootstrap.generatedPassword}`);
    }
    return report;
  });
}
