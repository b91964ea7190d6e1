// Upgrading a database made by an older build: the pre-upgrade snapshot, the history, the audit,
// and a failing migration that leaves the database as it was and names the way back.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { integrityOf, queryOne } from "../support/db";
import { buildWithExtraMigration, shippedMigrationsDir } from "../support/migrations";
import { runCli, runServerToExit, spawnServer, startServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);

/** A data dir whose database stops at the first migration (an "older version"), with data. */
function olderDataDir(): { dataDir: string; dbFile: string } {
  const dataDir = tempDir();
  const dbFile = path.join(dataDir, "opstage.db");
  const db = openDatabase(dbFile);
  applyPendingMigrations(db, shipped.slice(0, 1));
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt)
     VALUES ('old-owner', 'oldowner', 'x', 'Old owner', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run();
  db.prepare(
    `INSERT INTO "AuditEvent" (id, actorType, action, result, createdAt) VALUES ('old-event', 'SYSTEM', 'old.thing', 'SUCCESS', CURRENT_TIMESTAMP)`,
  ).run();
  db.close();
  return { dataDir, dbFile };
}

describe("upgrade on start", () => {
  test("an older database is snapshotted, migrated, recorded and audited; its data stays", async () => {
    assert.ok(shipped.length >= 2, "needs at least two migrations to upgrade across");
    const { dataDir, dbFile } = olderDataDir();
    const server = await startServer({ dataDir });
    // Diagnostics shows the upgrade, the snapshot taken first, and its verdict — the same as on
    // Backups. The reconciler proves the snapshot in the background from the start: not verified
    // yet (its manifest records a migration this version knows), or already restorable.
    assert.equal(runCli(dataDir, ["user", "reset-password", "oldowner"], "oldowner-password-1\n").code, 0);
    const cookie = await signIn(server.url, "oldowner", "oldowner-password-1");
    const page = await (await fetch(`${server.url}/settings/diagnostics`, { headers: { Cookie: cookie } })).text();
    await server.stop();
    assert.match(page, /Upgrade history/);
    assert.match(page, /unknown → \d+\.\d+\.\d+/);
    assert.match(page, /pre-upgrade-unknown-to-[^<]+\.db/);
    assert.match(page, /data-state="(not verified|restorable)"/);
    assert.match(page, /which this version knows|Restorable into this version/);

    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM AuditEvent WHERE id = 'old-event'").n, 1);
    assert.equal(
      queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL").n,
      shipped.length,
    );

    const history = queryOne<{
      fromVersion: string | null;
      toVersion: string;
      migrationsJson: string;
      snapshotName: string;
    }>(dbFile, "SELECT fromVersion, toVersion, migrationsJson, snapshotName FROM UpgradeHistory");
    assert.equal(history.fromVersion, null);
    assert.deepEqual(
      JSON.parse(history.migrationsJson),
      shipped.slice(1).map((f) => f.name),
    );
    assert.match(history.snapshotName, /^opstage-\d{8}T\d{6}\.\d{3}Z-pre-upgrade-unknown-to-\d+\.\d+\.\d+\.db$/);

    const snapshot = path.join(dataDir, "backups", history.snapshotName);
    assert.equal(integrityOf(snapshot), "ok");
    const snapshotMigrations = queryOne<{ n: number }>(snapshot, "SELECT count(*) AS n FROM _prisma_migrations").n;
    assert.equal(snapshotMigrations, 1, "the snapshot is the database before the upgrade");
    assert.equal(queryOne<{ n: number }>(snapshot, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
    const manifest = JSON.parse(readFileSync(`${snapshot}.json`, "utf8")) as { kind: string; sha256: string | null };
    assert.equal(manifest.kind, "pre-upgrade");
    assert.match(manifest.sha256 ?? "", /^[0-9a-f]{64}$/);

    const audit = queryOne<{ actorType: string; metadataJson: string }>(
      dbFile,
      "SELECT actorType, metadataJson FROM AuditEvent WHERE action = 'system.upgraded'",
    );
    assert.equal(audit.actorType, "SYSTEM");
    assert.equal(JSON.parse(audit.metadataJson).snapshot, history.snapshotName);
    assert.match(server.output(), /stored the pre-upgrade snapshot/);
  });

  test("kill -9 during a slow migration: the next start applies it again and the database is sound", async () => {
    const { dataDir, dbFile } = olderDataDir();
    const appDir = buildWithExtraMigration(
      "29990101000000_slow",
      `CREATE TABLE "Slow" ("n" INTEGER NOT NULL PRIMARY KEY, "s" TEXT NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
INSERT INTO "Slow" SELECT x, hex(randomblob(16)) FROM c;
CREATE INDEX "Slow_s_idx" ON "Slow"("s");`,
    );
    const first = await spawnServer({ dataDir, appDir });
    const deadline = Date.now() + 60_000;
    // The shipped migrations come first; the slow one is last.
    const lastShipped = new RegExp(`applied migration ${shipped.at(-1)!.name}`);
    while (!lastShipped.test(first.output())) {
      assert.ok(Date.now() < deadline && first.process.exitCode === null, first.output());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Inside the slow migration's transaction: it has begun writing (the rollback journal of a
    // database not yet in WAL mode).
    while (!(statSync(`${dbFile}-journal`, { throwIfNoEntry: false })?.size ?? 0)) {
      assert.ok(Date.now() < deadline && first.process.exitCode === null, first.output());
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.doesNotMatch(first.output(), /applied migration 29990101000000_slow/, "killed before it committed");
    first.process.kill("SIGKILL");
    await first.exited;

    // The killed transaction left a hot journal; the next start's connection rolls it back.
    const again = await startServer({ dataDir, appDir });
    await again.stop();
    assert.match(again.output(), /applied migration 29990101000000_slow/);
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal(queryOne<{ n: number }>(dbFile, `SELECT count(*) AS n FROM "Slow"`).n, 3_000_000);
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
  });

  // buildWithExtraMigration's copy resolves the build's symlinks: its server loads the original
  // build's better-sqlite3 through .next/node_modules, its snapshot worker the copy's. Two copies
  // of SQLite in one process removed the WAL under the server (lib/db/sqlite-binding.ts).
  test("a database this server already ran (WAL mode) upgrades like an older one", async () => {
    const dataDir = tempDir();
    await (await startServer({ dataDir })).stop();
    const appDir = buildWithExtraMigration(
      "29990101000000_add_note",
      `CREATE TABLE "Note" ("id" INTEGER PRIMARY KEY);`,
    );
    const server = await startServer({ dataDir, appDir });
    await server.stop();
    const dbFile = path.join(dataDir, "opstage.db");
    assert.match(server.output(), /applied migration 29990101000000_add_note/);
    const history = queryOne<{ migrationsJson: string }>(dbFile, "SELECT migrationsJson FROM UpgradeHistory");
    assert.deepEqual(JSON.parse(history.migrationsJson), ["29990101000000_add_note"]);
    assert.equal(integrityOf(dbFile), "ok");
  });

  test("a fresh database gets no pre-upgrade snapshot and no history", async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    await server.stop();
    const dbFile = path.join(dataDir, "opstage.db");
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM UpgradeHistory").n, 0);
    assert.doesNotMatch(server.output(), /pre-upgrade/);
  });

  test("a failing migration: the server does not start, that migration leaves nothing, the message names the way back", async () => {
    const { dataDir, dbFile } = olderDataDir();
    const appDir = buildWithExtraMigration(
      "29990101000000_broken",
      `CREATE TABLE "Half" ("id" INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO "NoSuchTable" VALUES (1);`,
    );
    const { code, output } = await runServerToExit({ dataDir, appDir });
    assert.notEqual(code, 0);
    assert.match(output, /Migration 29990101000000_broken failed and was rolled back/);
    assert.match(output, /The database as it was before this upgrade is in \S+pre-upgrade-unknown-to-\S+\.db/);
    const db = new Database(dbFile, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    db.close();
    assert.ok(!tables.includes("Half"), "the failed migration left nothing");
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
  });
});
