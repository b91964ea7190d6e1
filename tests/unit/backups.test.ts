// Stored backups on real files: manifests, verification, retention, the space check, names.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { copyFileSync, existsSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { deleteBackup, listBackups } from "../../lib/backup/catalog";
import { createBackup } from "../../lib/backup/create";
import { backupPath, BackupNameError } from "../../lib/backup/files";
import { readManifest, writeManifest } from "../../lib/backup/manifest";
import { applyRetention } from "../../lib/backup/retention";
import { BackupBusyError, withSnapshotLock } from "../../lib/backup/lock";
import { InsufficientSpaceError } from "../../lib/backup/space";
import { verifyBackup } from "../../lib/backup/verify";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { migrationChecksum, readMigrationFiles } from "../../lib/migrate/files";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const ACTOR = { type: "SYSTEM" as const, id: "test", label: "test" };

/** createBackup, waiting until the manifest holds the sha256 (computed after the commit). */
async function backUp(options: Omit<Parameters<typeof createBackup>[0], "actor">) {
  return createBackup({ ...options, actor: ACTOR });
}
const shipped = readMigrationFiles(shippedMigrationsDir);

function opstageDb() {
  const dir = tempDir();
  const databasePath = path.join(dir, "opstage.db");
  const db = openDatabase(databasePath);
  applyPendingMigrations(db, shipped);
  enableWal(db);
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt) VALUES ('u1', 'ann', 'x', 'Ann', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run();
  return { dir, databasePath, backupDir: path.join(dir, "backups"), db };
}

describe("stored backups", () => {
  test("a backup has a manifest with its checksum, kind and last migration; it verifies as restorable", async () => {
    const { databasePath, backupDir } = opstageDb();
    const backup = await backUp({ databasePath, backupDir, kind: "manual" });
    const manifest = readManifest(backupDir, backup.name)!;
    assert.equal(manifest.sha256, migrationChecksum(readFileSync(backup.path)));
    assert.equal(manifest.kind, "manual");
    assert.equal(manifest.bytes, readFileSync(backup.path).length);
    assert.equal(manifest.lastMigration, shipped.at(-1)!.name);
    const verification = await verifyBackup(backupDir, backup.name, shipped);
    assert.equal(verification.state, "restorable");
    assert.equal(readManifest(backupDir, backup.name)!.verification?.state, "restorable", "stored in the manifest");
    // A backup is one self-contained file: opening it makes no -wal/-shm beside it.
    assert.deepEqual(readdirSync(backupDir).sort(), [backup.name, `${backup.name}.json`]);
  });

  test("verify detects a flipped byte, a truncated file, a non-SQLite file and a newer schema", async () => {
    const { databasePath, backupDir } = opstageDb();
    const flipped = await backUp({ databasePath, backupDir, kind: "manual", label: "flipped" });
    const bytes = readFileSync(flipped.path);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(flipped.path, bytes);
    assert.equal((await verifyBackup(backupDir, flipped.name, shipped)).state, "modified");

    const truncated = await backUp({ databasePath, backupDir, kind: "manual", label: "truncated" });
    truncateSync(truncated.path, 4096 + 100);
    await writeManifest(backupDir, {
      ...readManifest(backupDir, truncated.name)!,
      sha256: migrationChecksum(readFileSync(truncated.path)),
    });
    const truncatedResult = await verifyBackup(backupDir, truncated.name, shipped);
    assert.ok(["corrupt", "not-sqlite"].includes(truncatedResult.state), truncatedResult.detail);
    assert.equal(truncatedResult.restorable, false);

    writeFileSync(path.join(backupDir, "notes.db"), "definitely not sqlite ".repeat(300));
    assert.equal((await verifyBackup(backupDir, "notes.db", shipped)).state, "not-sqlite");

    const newer = path.join(backupDir, "from-the-future.db");
    copyFileSync((await backUp({ databasePath, backupDir, kind: "manual", label: "base" })).path, newer);
    const db = new Database(newer);
    db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ('n', 'x', '2999-01-01', '29990101000000_future', '2999-01-01', 1)`,
    ).run();
    db.close();
    const newerResult = await verifyBackup(backupDir, "from-the-future.db", shipped);
    assert.equal(newerResult.state, "newer");
    assert.match(newerResult.detail, /29990101000000_future/);
  });

  test("files without a manifest are listed as external; symlinks and temp files are not listed", async () => {
    const { databasePath, backupDir } = opstageDb();
    const made = await backUp({ databasePath, backupDir, kind: "manual" });
    copyFileSync(made.path, path.join(backupDir, "copied-by-hand.db"));
    symlinkSync(databasePath, path.join(backupDir, "link.db"));
    writeFileSync(path.join(backupDir, ".tmp-opstage-x.db.1234"), "partial");
    const listed = listBackups(backupDir).map((entry) => [entry.name, entry.kind]);
    assert.deepEqual(
      listed.sort(),
      [
        ["copied-by-hand.db", "external"],
        [made.name, "manual"],
      ].sort(),
    );
  });

  test("retention keeps exactly N scheduled backups and never deletes other kinds", async () => {
    const { databasePath, backupDir } = opstageDb();
    const manual = await backUp({ databasePath, backupDir, kind: "manual" });
    const preUpgrade = await backUp({ databasePath, backupDir, kind: "pre-upgrade", label: "pre-upgrade" });
    const scheduled = [];
    for (let i = 0; i < 5; i++) scheduled.push(await backUp({ databasePath, backupDir, kind: "scheduled" }));
    const deleted = applyRetention(backupDir, 2);
    assert.deepEqual(
      deleted.sort(),
      scheduled
        .slice(0, 3)
        .map((b) => b.name)
        .sort(),
      "the three oldest",
    );
    const left = listBackups(backupDir);
    assert.deepEqual(
      left
        .filter((b) => b.kind === "scheduled")
        .map((b) => b.name)
        .sort(),
      scheduled
        .slice(3)
        .map((b) => b.name)
        .sort(),
    );
    assert.ok(left.some((b) => b.name === manual.name) && left.some((b) => b.name === preUpgrade.name));
    for (const name of deleted) assert.ok(!existsSync(path.join(backupDir, `${name}.json`)), "manifest deleted too");
  });

  test("too little free space: refused before the snapshot with the size needed, nothing left behind", async () => {
    const { databasePath, backupDir } = opstageDb();
    await assert.rejects(
      backUp({ databasePath, backupDir, kind: "manual", freeSpace: () => 1024 }),
      (error: unknown) => error instanceof InsufficientSpaceError && /MB needed/.test(error.message),
    );
    assert.deepEqual(readdirSync(backupDir), []);
  });

  test("concurrent backups while a writer commits: all complete and sound, one at a time", async () => {
    const { databasePath, backupDir, db } = opstageDb();
    let writing = true;
    let n = 0;
    const insert = db.prepare(
      `INSERT INTO "AuditEvent" (id, actorType, action, result, createdAt) VALUES (?, 'SYSTEM', 'w', 'SUCCESS', CURRENT_TIMESTAMP)`,
    );
    const writer = (async () => {
      while (writing) {
        insert.run(`w${n++}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const backups = await Promise.all([1, 2, 3].map(() => backUp({ databasePath, backupDir, kind: "manual" })));
    writing = false;
    await writer;
    assert.equal(new Set(backups.map((b) => b.name)).size, 3);
    for (const backup of backups)
      assert.equal((await verifyBackup(backupDir, backup.name, shipped)).state, "restorable");
    assert.ok(n > 3, "the writer kept committing");
  });

  test("a second snapshot waits for the first; past the bound it is told to retry later", async () => {
    let releaseFirst!: () => void;
    const order: string[] = [];
    const first = withSnapshotLock(
      () => new Promise<void>((resolve) => (releaseFirst = () => (order.push("first"), resolve()))),
    );
    await assert.rejects(
      withSnapshotLock(async () => order.push("impatient"), 50),
      (error: unknown) => {
        return error instanceof BackupBusyError && (error.retryAfterSeconds ?? 0) > 0;
      },
    );
    const patient = withSnapshotLock(async () => order.push("patient"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(order, [], "nobody runs while the first holds the lock");
    releaseFirst();
    await Promise.all([first, patient]);
    assert.deepEqual(order, ["first", "patient"]);
  });

  test("names from requests cannot leave the backup folder", async () => {
    const { backupDir, databasePath } = opstageDb();
    await backUp({ databasePath, backupDir, kind: "manual" });
    symlinkSync(databasePath, path.join(backupDir, "link.db"));
    for (const name of [
      "../opstage.db",
      "..",
      "a/b.db",
      ".tmp-x.db",
      "x.db/../../opstage.db",
      "opstage.db\0",
      "link.db",
      "missing.db",
    ]) {
      assert.throws(() => backupPath(backupDir, name), BackupNameError, name);
    }
    assert.throws(() => deleteBackup(backupDir, "../opstage.db"), BackupNameError);
    assert.ok(existsSync(databasePath));
  });
});
