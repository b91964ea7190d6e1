// What a shared offsite copy ignores (lib/offsite/bookkeeping.ts): two real database files
// compared by the comparison engine (lib/inspect), the second with a scheduled run's own record
// written into it, then with one change of data more.
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { SCHEDULE_SETTING_KEYS } from "../../lib/backup/schedule";
import { compareFiles } from "../../lib/inspect/inspect";
import { readMigrationFiles } from "../../lib/migrate/files";
import { BOOKKEEPING_SAMPLE_ROWS, onlyBookkeepingDiffers, SCHEDULE_LAST_RUN_KEY } from "../../lib/offsite/bookkeeping";
import { backupDatabase } from "../support/inspect-fixture";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);
const NOW = "2026-12-07T20:00:00.000+00:00";
let counter = 0;

/** A copy of `from` with what `write` adds. */
function derived(from: string, write: (db: Database.Database) => void): string {
  const file = path.join(tempDir(), "next.db");
  copyFileSync(from, file);
  const db = new Database(file);
  try {
    write(db);
  } finally {
    db.close();
  }
  return file;
}

function audit(db: Database.Database, action: string, actorType = "SYSTEM"): void {
  db.prepare(
    `INSERT INTO "AuditEvent" (id, actorType, actorId, action, result, createdAt) VALUES (?, ?, 'schedule', ?, 'SUCCESS', ?)`,
  ).run(`run-${++counter}`, actorType, action, NOW);
}

/** What one scheduled run and its proof, offsite copy and alert write into the database. */
function scheduledRun(db: Database.Database): void {
  for (const action of [
    "backup.sqlite.created",
    "backup.deleted",
    "backup.verified",
    "backup.offsite.copied",
    "backup.offsite.reused",
    "alert.delivered",
  ])
    audit(db, action);
  db.prepare(
    `INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET valueJson = excluded.valueJson, updatedAt = excluded.updatedAt`,
  ).run(SCHEDULE_LAST_RUN_KEY, JSON.stringify({ at: NOW, ok: true, name: `run-${counter}.db` }), NOW);
  db.prepare(
    `INSERT INTO "AlertDelivery" (id, channelId, eventType, eventJson, nextAttemptAt) VALUES (?, 'c-hook', 'backup.overdue', '{}', ?)`,
  ).run(`delivery-${counter}`, NOW);
}

async function verdict(from: string, to: string) {
  const comparison = await compareFiles({ path: from, label: "older" }, { path: to, label: "newer" }, shipped, {
    sampleRows: BOOKKEEPING_SAMPLE_ROWS,
  });
  return onlyBookkeepingDiffers(comparison);
}

describe("only bookkeeping differs", () => {
  const older = backupDatabase();
  const afterRuns = derived(older, (db) => {
    // More rows than the comparison lists by default (5): each one is still judged.
    for (let run = 0; run < 3; run++) scheduledRun(db);
  });

  test("the schedule's last-run key is the one the schedule writes", () => {
    assert.ok((SCHEDULE_SETTING_KEYS as readonly string[]).includes(SCHEDULE_LAST_RUN_KEY));
  });

  test("three scheduled runs' own audit rows, last-run setting and alert outbox: only bookkeeping", async () => {
    assert.deepEqual(await verdict(older, afterRuns), { onlyBookkeeping: true });
    assert.deepEqual(await verdict(afterRuns, older), { onlyBookkeeping: true }, "removed rows the same");
    assert.deepEqual(await verdict(older, older), { onlyBookkeeping: true });
  });

  test("anything else is data, and the reason says what", async () => {
    const cases: [string, (db: Database.Database) => void, RegExp][] = [
      [
        "a user",
        (db) =>
          db
            .prepare(
              `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, createdAt, updatedAt) VALUES ('u-new', 'newcomer', 'x', 'N', 'viewer', 'ACTIVE', ?, ?)`,
            )
            .run(NOW, NOW),
        /^User: 1 row differ$/,
      ],
      [
        "a token revoked",
        (db) => db.prepare(`UPDATE "ApiToken" SET revokedAt = ? WHERE id = 't-ci'`).run(NOW),
        /ApiToken/,
      ],
      [
        "a session's last-seen",
        (db) => db.prepare(`UPDATE "Session" SET lastSeenAt = ?`).run(NOW),
        /^Session: 1 row differ$/,
      ],
      ["another audit event", (db) => audit(db, "user.created", "USER"), /^AuditEvent: audit event user\.created$/],
      [
        "the schedule itself",
        (db) =>
          db
            .prepare(
              `UPDATE "SystemSetting" SET valueJson = '{"cron":"0 3 * * *","keep":7}' WHERE key = 'backup.schedule'`,
            )
            .run(),
        /^SystemSetting: setting backup\.schedule$/,
      ],
      [
        "more bookkeeping rows than are listed",
        (db) => {
          for (let i = 0; i <= BOOKKEEPING_SAMPLE_ROWS.AuditEvent!; i++) audit(db, "backup.verified");
        },
        /^\d+ AuditEvent rows differ$/,
      ],
    ];
    for (const [what, change, reason] of cases) {
      const result = await verdict(older, derived(afterRuns, change));
      assert.equal(result.onlyBookkeeping, false, what);
      assert.match((result as { reason: string }).reason, reason, what);
    }
  });
});
