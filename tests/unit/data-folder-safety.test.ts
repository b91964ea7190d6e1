// A configuration mistake must never reach the live database: a backup or replica folder that
// is the data folder is refused at start, and whatever the folders are, the catalog and the
// start-up clean-up never take opstage.db (or its companions) for a backup.
import assert from "node:assert/strict";
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { deleteBackup, listBackups } from "../../lib/backup/catalog";
import { backupNameProblem, backupPath, BackupNameError } from "../../lib/backup/files";
import { writeManifest } from "../../lib/backup/manifest";
import { removeLinksToDatabase } from "../../lib/backup/start-cleanup";
import { verifyBackup } from "../../lib/backup/verify";
import { ConfigError, parseConfig } from "../../lib/config";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const SECRET = "s".repeat(32);

function refusal(env: Record<string, string>): string {
  try {
    parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes("\n"), "one line");
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

/** A live database in `dir`, with one row written through WAL, as a running server has it. */
function liveDatabase(dir: string) {
  const databasePath = path.join(dir, "opstage.db");
  const db = openDatabase(databasePath);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  enableWal(db);
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt) VALUES ('u1', 'ann', 'x', 'Ann', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run();
  return { databasePath, db };
}

describe("folders a configuration may not share", () => {
  test("a backup folder that is the data folder is refused, naming both variables", () => {
    const data = tempDir();
    for (const backups of [data, `${data}/`, `${data}/./`]) {
      const message = refusal({ OPSTAGE_DATA_DIR: data, OPSTAGE_BACKUP_DIR: backups });
      assert.match(message, /OPSTAGE_BACKUP_DIR/);
      assert.match(message, /OPSTAGE_DATA_DIR/);
    }
  });

  test("a backup folder that reaches the data folder through a link is refused too", () => {
    const root = tempDir();
    const data = path.join(root, "data");
    mkdirSync(data);
    symlinkSync(data, path.join(root, "backups-link"));
    assert.match(
      refusal({ OPSTAGE_DATA_DIR: data, OPSTAGE_BACKUP_DIR: path.join(root, "backups-link") }),
      /OPSTAGE_BACKUP_DIR is the data folder OPSTAGE_DATA_DIR/,
    );
    // The default, and a folder of its own (even one not made yet), are fine.
    assert.equal(parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_DATA_DIR: data }).backupDir, `${data}/backups`);
    parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_DATA_DIR: data, OPSTAGE_BACKUP_DIR: `${root}/later/b` });
  });

  test("a replica folder that is the data or the backup folder is refused", () => {
    const root = tempDir();
    const data = path.join(root, "data");
    const backups = path.join(root, "backups");
    mkdirSync(data);
    mkdirSync(backups);
    symlinkSync(backups, path.join(root, "replica-link"));
    const env = { OPSTAGE_DATA_DIR: data, OPSTAGE_BACKUP_DIR: backups, OPSTAGE_REPLICATION: "file" };
    assert.match(
      refusal({ ...env, OPSTAGE_REPLICATION_PATH: data }),
      /OPSTAGE_REPLICATION_PATH is the data folder OPSTAGE_DATA_DIR/,
    );
    assert.match(
      refusal({ ...env, OPSTAGE_REPLICATION_PATH: path.join(root, "replica-link") }),
      /OPSTAGE_REPLICATION_PATH is the backup folder OPSTAGE_BACKUP_DIR/,
    );
    parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, ...env, OPSTAGE_REPLICATION_PATH: path.join(root, "replica") });
  });
});

describe("the live database is never a backup", () => {
  test("with the backup folder on the data folder, the catalog neither lists, verifies nor deletes opstage.db", async () => {
    const dir = tempDir();
    const { databasePath, db } = liveDatabase(dir);
    for (const name of ["opstage.db", "OPSTAGE.DB"]) {
      assert.ok(backupNameProblem(name), name);
      assert.throws(() => backupPath(dir, name), BackupNameError, name);
    }
    assert.deepEqual(
      listBackups(dir).map((entry) => entry.name),
      [],
    );
    assert.throws(() => deleteBackup(dir, "opstage.db"), BackupNameError);
    await assert.rejects(verifyBackup(dir, "opstage.db", readMigrationFiles(shippedMigrationsDir)), BackupNameError);
    assert.ok(existsSync(databasePath));
    assert.equal((db.prepare(`SELECT count(*) AS n FROM "User"`).get() as { n: number }).n, 1);
    db.close();
  });

  test("the reserved names of the data folder are refused as backup names, with what to do", () => {
    for (const name of ["opstage.db", "Opstage.db"]) {
      assert.match(backupNameProblem(name) ?? "", /live database's own file; choose another name/);
    }
    for (const name of [".session-secret", "litestream.yml", "opstage.db-wal", ".opstage.lock"]) {
      assert.ok(backupNameProblem(name), name);
    }
    assert.equal(backupNameProblem("opstage-20261124T225959.123Z.db"), null);
    assert.equal(backupNameProblem("my-copy.db"), null);
  });

  test("start-up clean-up leaves the live database and hand-made links alone", () => {
    const dir = tempDir();
    const { databasePath, db } = liveDatabase(dir);
    db.close();
    const before = readFileSync(databasePath);
    // The backup folder on the data folder: the live file itself shares its own inode.
    assert.deepEqual(removeLinksToDatabase(dir, databasePath), []);
    assert.ok(existsSync(databasePath));
    // A hard link made by hand, and one with a pre-restore name but no manifest saying so.
    const backups = path.join(dir, "backups");
    mkdirSync(backups);
    linkSync(databasePath, path.join(backups, "by-hand.db"));
    linkSync(databasePath, path.join(backups, "opstage-20261124T225959.123Z-pre-restore.db"));
    assert.deepEqual(removeLinksToDatabase(backups, databasePath), []);
    assert.ok(existsSync(path.join(backups, "by-hand.db")));
    assert.deepEqual(readFileSync(databasePath), before);
  });

  test("start-up clean-up removes a pre-restore link a crashed restore left, manifest and all", async () => {
    const dir = tempDir();
    const { databasePath, db } = liveDatabase(dir);
    db.close();
    const backups = path.join(dir, "backups");
    mkdirSync(backups);
    const name = "opstage-20261124T225959.123Z-pre-restore.db";
    await writeManifest(backups, {
      name,
      kind: "pre-restore",
      sha256: null,
      bytes: 0,
      createdAt: new Date().toISOString(),
      appVersion: "test",
      lastMigration: null,
      databaseBytes: null,
      durationMs: null,
      actor: { type: "SYSTEM", id: null, label: "restore" },
    });
    linkSync(databasePath, path.join(backups, name));
    // A real pre-restore backup (another inode) stays.
    const kept = "opstage-20261123T225959.123Z-pre-restore.db";
    writeFileSync(path.join(backups, kept), readFileSync(databasePath));
    assert.deepEqual(removeLinksToDatabase(backups, databasePath), [name]);
    assert.ok(!existsSync(path.join(backups, name)));
    assert.ok(!existsSync(path.join(backups, `${name}.json`)));
    assert.ok(existsSync(path.join(backups, kept)));
    assert.ok(existsSync(databasePath));
  });
});
