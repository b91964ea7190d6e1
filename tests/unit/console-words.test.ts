// The pure pieces the console shows: the SQLite header check uploads get (on real files), cron
// in words, times with their zone, one verdict per backup, and who may do what with backups.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { readFileSync, truncateSync, copyFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { backupAbilities, BACKUP_PERMISSIONS, canBackup } from "../../lib/roles";
import { readSqliteHeader, sqliteFileProblem } from "../../lib/backup/sqlite-header";
import { verdictOf } from "../../lib/backup/verdict";
import { CRON_PRESETS, describeCron } from "../../lib/cron-words";
import { isValidCron } from "../../lib/cron";
import { formatInZone, relativeAge } from "../../lib/time-format";
import { tempDir } from "../support/temp";

function sqliteFile(rows: number): string {
  const file = path.join(tempDir(), "real.db");
  const db = new Database(file);
  db.exec("CREATE TABLE t (x TEXT)");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  for (let i = 0; i < rows; i += 1) insert.run("x".repeat(500));
  db.close();
  return file;
}

describe("the SQLite header check", () => {
  test("a whole database passes; its header gives the page size and count", () => {
    const file = sqliteFile(200);
    const bytes = readFileSync(file);
    const header = readSqliteHeader(bytes);
    assert.ok(!("problem" in header));
    assert.equal(header.pageSize * header.pageCount!, bytes.length);
    assert.equal(sqliteFileProblem(bytes, bytes.length), null);
  });

  test("cut at a page boundary: the header's page count says it is truncated", () => {
    const file = sqliteFile(200);
    const cut = path.join(tempDir(), "cut.db");
    copyFileSync(file, cut);
    const header = readSqliteHeader(readFileSync(file)) as { pageSize: number; pageCount: number };
    truncateSync(cut, header.pageSize * 3);
    const bytes = readFileSync(cut);
    assert.match(sqliteFileProblem(bytes, bytes.length)!, /^Truncated: its header says \d+ pages of \d+ bytes/);
  });

  test("cut inside a page, random bytes, and a too-short file are refused with the reason", () => {
    const bytes = readFileSync(sqliteFile(50));
    assert.match(sqliteFileProblem(bytes, bytes.length - 100)!, /not a whole number of \d+-byte pages/);
    assert.match(sqliteFileProblem(Buffer.from("not a database ".repeat(400)), 6000)!, /^Not a SQLite database/);
    assert.match(sqliteFileProblem(Buffer.from("SQLite"), 6)!, /shorter than a SQLite header/);
  });
});

describe("cron in words", () => {
  test("the presets and common shapes", () => {
    assert.equal(describeCron("0 3 * * *"), "Every day at 03:00");
    assert.equal(describeCron("0 */6 * * *"), "Every 6 hours at minute 0 (from 00:00)");
    assert.equal(describeCron("0 3 * * 0"), "Every Sunday at 03:00");
    assert.equal(describeCron("30 2 * * 1-5"), "Every Monday to Friday at 02:30");
    assert.equal(describeCron("0 4 1 * *"), "On day 1st of the month at 04:00");
    assert.equal(describeCron("*/15 * * * *"), "Every 15 minutes");
    assert.equal(describeCron("* * * * * *"), "Every second");
    assert.equal(describeCron("15 0 3 * * *"), "Every day at 03:00:15");
    assert.equal(describeCron("0 3 * 1,7 *"), "Every day in January, July at 03:00");
  });

  test("anything else is not guessed at", () => {
    assert.equal(describeCron("0 3 L * *"), null);
    assert.equal(describeCron("nonsense"), null);
    assert.equal(describeCron("0 3 * * MON"), null);
  });

  test("every preset is a valid cron expression and has words", () => {
    for (const preset of CRON_PRESETS) {
      assert.ok(isValidCron(preset.cron), preset.cron);
      assert.ok(describeCron(preset.cron), preset.cron);
    }
  });
});

describe("times", () => {
  test("always carry their zone", () => {
    assert.equal(formatInZone("2026-01-15T03:00:00.000Z", "UTC"), "2026-01-15 03:00 UTC");
    assert.equal(formatInZone("2026-01-15T03:00:00.000Z", "America/New_York"), "2026-01-14 22:00 EST");
    assert.equal(formatInZone("2026-01-15T03:00:05.000Z", "UTC", true), "2026-01-15 03:00:05 UTC");
  });

  test("ages, past and future", () => {
    const now = Date.parse("2026-01-15T12:00:00Z");
    assert.equal(relativeAge("2026-01-15T11:59:30Z", now), "just now");
    assert.equal(relativeAge("2026-01-15T11:00:00Z", now), "1 h ago");
    assert.equal(relativeAge("2026-01-15T09:00:00Z", now), "3 h ago");
    assert.equal(relativeAge("2026-01-10T12:00:00Z", now), "5 days ago");
    assert.equal(relativeAge("2026-01-15T16:00:00Z", now), "in 4 h");
  });
});

describe("one verdict per backup", () => {
  const at = "2026-01-15T03:00:00.000Z";
  const known = ["20260101000000_init"];
  test("from the last verification when there is one", () => {
    const good = verdictOf(
      { lastMigration: null, verification: { at, state: "restorable", restorable: true, detail: "Restorable." } },
      known,
    );
    assert.deepEqual([good.state, good.label, good.blocksRestore], ["restorable", "restorable", false]);
    const corrupt = verdictOf(
      { lastMigration: null, verification: { at, state: "corrupt", restorable: false, detail: "bad page" } },
      known,
    );
    assert.deepEqual([corrupt.state, corrupt.label, corrupt.blocksRestore], ["bad", "corrupt", true]);
    assert.match(corrupt.detail, /bad page \(verified 2026-01-15 03:00 UTC\)/);
    const notSqlite = verdictOf(
      { lastMigration: null, verification: { at, state: "not-sqlite", restorable: false, detail: "x" } },
      known,
    );
    assert.equal(notSqlite.label, "not SQLite");
  });

  test("never verified: 'not verified' whatever the manifest suggests, unless it is from a newer version", () => {
    const unverified = verdictOf({ lastMigration: "20260101000000_init", verification: null }, known);
    assert.deepEqual([unverified.label, unverified.blocksRestore], ["not verified", false]);
    assert.match(unverified.detail, /which this version knows/);
    const newer = verdictOf({ lastMigration: "20990101000000_future", verification: null }, known);
    assert.deepEqual([newer.state, newer.blocksRestore], ["newer", true]);
  });
});

describe("backup permissions", () => {
  test("operators back up and verify; owners alone download, restore, delete, upload and schedule", () => {
    assert.deepEqual(backupAbilities("viewer"), {
      list: true,
      create: false,
      verify: false,
      download: false,
      restore: false,
      delete: false,
      upload: false,
      schedule: false,
      offsite: false,
      inspect: false,
    });
    const operator = backupAbilities("operator");
    assert.ok(operator.create && operator.verify && operator.list);
    for (const action of ["download", "restore", "delete", "upload", "schedule", "offsite", "inspect"] as const) {
      assert.equal(canBackup("operator", action), false, action);
      assert.equal(canBackup("owner", action), true, action);
    }
    assert.equal(Object.keys(BACKUP_PERMISSIONS).length, 10);
  });
});
