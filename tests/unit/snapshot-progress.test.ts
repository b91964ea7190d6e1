// Where a snapshot someone waits for has got to (lib/backup/progress.ts), fed by a real backup:
// waiting while another backup holds the lock, then copying with bytes copied of the total, done.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { createBackup } from "../../lib/backup/create";
import { withSnapshotLock } from "../../lib/backup/lock";
import { isTicket, snapshotProgress, trackSnapshot } from "../../lib/backup/progress";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

async function until(what: string, condition: () => boolean) {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a queued backup is 'waiting' until the one before it is done, then copies, then is done", async () => {
  const dir = tempDir();
  const databasePath = path.join(dir, "opstage.db");
  const db = openDatabase(databasePath);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  enableWal(db);
  db.exec(`CREATE TABLE filler (x TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
    INSERT INTO filler SELECT hex(randomblob(500)) FROM n`);

  const ticket = "test-ticket-1234";
  const progress = trackSnapshot(ticket);
  let second: Promise<unknown> | undefined;
  await withSnapshotLock(async () => {
    second = createBackup({
      databasePath,
      backupDir: path.join(dir, "backups"),
      kind: "manual",
      actor: { type: "SYSTEM", id: null, label: "test" },
      observer: {
        acquired: progress.acquired,
        started: ({ name, bytes }) => progress.started(name, bytes),
        copied: progress.copied,
      },
    }).then((backup) => progress.done(backup.name));
    // The lock is held here: whatever time passes, the backup cannot get past "waiting".
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(snapshotProgress(ticket)?.state, "waiting");
  });
  await second;
  await until("done", () => snapshotProgress(ticket)?.state === "done");
  const done = snapshotProgress(ticket)!;
  assert.match(done.name!, /^opstage-.*\.db$/);
  assert.ok(done.bytes && done.bytes > 1_000_000, `bytes ${done.bytes}`);
  assert.equal(done.position, done.bytes);
  db.close();
});

test("tickets: only short plain ones are tracked; none means nothing is recorded", () => {
  assert.equal(isTicket("abc"), false);
  assert.equal(isTicket("../../etc/passwd"), false);
  assert.equal(isTicket("0b7f6c1e-6b7c-4f0e-9a55-3c5d2d1f9e10"), true);
  trackSnapshot(null).failed("nothing");
  assert.equal(snapshotProgress("never-issued-ticket"), null);
});
