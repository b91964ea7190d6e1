// A restore keeps this instance's alert channels (lib/backup/restore-changes.ts), like its backup
// schedule, unless the owner asks for the backup's own: an older backup must not silently stop
// the alerts, and its alert outbox (the deliveries still owed) with them. On real SQLite files.
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { carryOverAndCompare, describeRestoreChanges } from "../../lib/backup/restore-changes";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { queryOne } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);

function database(channels: string[], migrations = shipped): string {
  const file = path.join(tempDir(), "opstage.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, migrations);
  for (const name of channels) {
    db.prepare(
      `INSERT INTO "AlertChannel" (id, name, type, enabled, configJson, secret, eventsJson, updatedAt)
       VALUES (?, ?, 'webhook', 1, '{"url":"https://hooks.test/x","preset":"generic"}', 'key', '["backup.overdue"]', CURRENT_TIMESTAMP)`,
    ).run(`id-${name}`, name);
  }
  db.close();
  return file;
}

const names = (file: string) =>
  queryOne<{ names: string | null }>(
    file,
    `SELECT group_concat(name, ',') AS names FROM (SELECT name FROM "AlertChannel" ORDER BY name)`,
  ).names;

describe("alert channels across a restore", () => {
  test("kept by default: the backup's channels are replaced by this instance's", () => {
    const live = database(["ops-hook", "ops-mail"]);
    const backup = database(["old-hook"]);
    const changes = carryOverAndCompare(live, backup, true);
    assert.deepEqual(changes.settings.differed, ["alert channels"]);
    assert.equal(names(backup), "ops-hook,ops-mail");
    assert.equal(
      queryOne<{ secret: string }>(backup, `SELECT secret FROM "AlertChannel" WHERE name = 'ops-hook'`).secret,
      "key",
      "with their write-only secrets",
    );
    assert.ok(describeRestoreChanges(changes).some((line) => /this instance's channels were kept/.test(line)));
  });

  test("the backup's own when asked; nothing reported when they are the same", () => {
    const live = database(["ops-hook"]);
    const backup = database(["old-hook"]);
    carryOverAndCompare(live, backup, false);
    assert.equal(names(backup), "old-hook");
    // A copy: two databases made apart would differ in their rows' timestamps.
    const same = path.join(tempDir(), "same.db");
    copyFileSync(live, same);
    assert.deepEqual(carryOverAndCompare(live, same, true).settings.differed, []);
  });

  test("a backup from before alert channels: said plainly, since nothing can be carried into it", () => {
    const live = database(["ops-hook"]);
    const older = database(
      [],
      shipped.filter((migration) => !migration.name.endsWith("_alert_channels")),
    );
    const changes = carryOverAndCompare(live, older, true);
    assert.deepEqual(changes.settings.differed, ["alert channels (not in the backup)"]);
    assert.ok(describeRestoreChanges(changes).some((line) => /add yours again in Settings → Alerts/.test(line)));
  });

  test("the alert outbox is kept with the channels: this instance's pending deliveries, not the backup's", () => {
    const outbox = (file: string, ids: string[]) => {
      const db = openDatabase(file);
      for (const id of ids) {
        db.prepare(
          `INSERT INTO "AlertDelivery" (id, channelId, eventType, eventJson, attempts, nextAttemptAt, claimedUntil)
           VALUES (?, 'id-ops-hook', 'backup.overdue', '{}', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
        ).run(id);
      }
      db.close();
    };
    const live = database(["ops-hook"]);
    const backup = database(["ops-hook"]);
    outbox(live, ["pending-here"]);
    outbox(backup, ["stale-in-backup"]);
    carryOverAndCompare(live, backup, true);
    const kept = queryOne<{ ids: string; claimed: number; attempts: number }>(
      backup,
      `SELECT group_concat(id) AS ids, COUNT(claimedUntil) AS claimed, MAX(attempts) AS attempts FROM "AlertDelivery"`,
    );
    assert.equal(kept.ids, "pending-here");
    assert.equal(kept.attempts, 2, "with the attempts made");
    assert.equal(kept.claimed, 0, "unclaimed: the next start sends it");
  });
});
