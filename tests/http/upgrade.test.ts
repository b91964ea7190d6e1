// Upgrading a database made by an older build: the pre-upgrade snapshot, the history, the audit,
// and a failing migration that leaves the database as it was and names the way back.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { integrityOf, queryOne } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { runServerToExit, standaloneDir, startServer } from "../support/server";
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
    await server.stop();

    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM AuditEvent WHERE id = 'old-event'").n, 1);
    assert.equal(
      queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL").n,
      shipped.length,
    );

    const history = queryOne<{ fromVersion: string | null; toVersion: string; migrationsJson: string; snapshotName: string }>(
      dbFile,
      "SELECT fromVersion, toVersion, migrationsJson, snapshotName FROM UpgradeHistory",
    );
    assert.equal(history.fromVersion, null);
    assert.deepEqual(JSON.parse(history.migrationsJson), shipped.slice(1).map((f) => f.name));
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
    const appDir = path.join(tempDir("opstage-broken-"), "app");
    cpSync(standaloneDir, appDir, { recursive: true });
    mkdirSync(path.join(appDir, "prisma/migrations/29990101000000_broken"));
    writeFileSync(
      path.join(appDir, "prisma/migrations/29990101000000_broken/migration.sql"),
      `CREATE TABLE "Half" ("id" INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO "NoSuchTable" VALUES (1);`,
    );
    const { code, output } = await runServerToExit({ dataDir, appDir });
    assert.notEqual(code, 0);
    assert.match(output, /Migration 29990101000000_broken failed and was rolled back/);
    assert.match(output, /The database as it was before this upgrade is in \S+pre-upgrade-unknown-to-\S+\.db/);
    const db = new Database(dbFile, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    db.close();
    assert.ok(!tables.includes("Half"), "the failed migration left nothing");
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = 'old-owner'").n, 1);
  });
});
