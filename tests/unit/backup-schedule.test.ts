// The scheduler is handed the function that makes an audited backup when it starts
// (lib/system/service-list.ts): that function queues the offsite copy, which sits above
// lib/backup. A scheduled run calls it as the schedule's system actor and records the outcome.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configureForCli, getConfig } from "../../lib/config";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { backupSchedulerService, getScheduler, type AuditedBackupMaker } from "../../lib/backup/schedule";
import { deferred } from "../support/deferred";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

process.env.OPSTAGE_DATA_DIR = tempDir();
configureForCli();

test(
  "a scheduled run makes its backup with the maker the scheduler was started with",
  { timeout: 15_000 },
  async () => {
    const config = getConfig();
    const db = openDatabase(config.databasePath);
    applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
    db.close();

    const made = deferred();
    const calls: Parameters<AuditedBackupMaker>[0][] = [];
    const service = backupSchedulerService(async (input) => {
      calls.push(input);
      made.resolve();
      return { name: "made-by-the-maker.sqlite" };
    });
    await service.start(config);
    try {
      // Every second (croner's six-field form), so the run comes within the test.
      await getScheduler(config).update({ cron: "* * * * * *", keep: 3 });
      await made.promise;
    } finally {
      await service.stop();
    }

    assert.equal(calls[0]?.kind, "scheduled");
    assert.equal(calls[0]?.actor.type, "SYSTEM");
    assert.equal(calls[0]?.actorLabel, "schedule");
    const { lastRun } = await getScheduler(config).status();
    assert.equal(lastRun?.ok, true);
    assert.equal(lastRun?.name, "made-by-the-maker.sqlite");
  },
);
