// Restore with the CLI: its refusals, the rollback drill on the built server, a stale WAL, and
// kill -9 at every step of the swap.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { integrityOf, queryOne } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { runCli, startServer } from "../support/server";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);
const count = (file: string, where: string) => queryOne<{ n: number }>(file, `SELECT count(*) AS n FROM ${where}`).n;

function addEvent(dbFile: string, id: string): void {
  const db = new Database(dbFile);
  db.pragma("busy_timeout = 5000");
  db.prepare(
    `INSERT INTO AuditEvent (id, actorType, action, result, createdAt) VALUES (?, 'SYSTEM', 'test', 'SUCCESS', CURRENT_TIMESTAMP)`,
  ).run(id);
  db.close();
}

/** A stopped data dir with a current database holding event "old", and a backup holding "new". */
async function dataDirWithBackup() {
  const dataDir = tempDir();
  const dbFile = path.join(dataDir, "opstage.db");
  const server = await startServer({ dataDir });
  addEvent(dbFile, "new");
  const made = runCli(dataDir, ["backup"]);
  assert.equal(made.code, 0, made.stderr);
  const backup = /Wrote (\S+\.db) /.exec(made.stdout)![1]!;
  addEvent(dbFile, "old-only");
  await server.stop();
  return { dataDir, dbFile, backup };
}

describe("restore CLI refusals", () => {
  test("refused while the server runs: the data dir is locked", async () => {
    const { dataDir, dbFile, backup } = await dataDirWithBackup();
    const server = await startServer({ dataDir });
    try {
      const result = runCli(dataDir, ["restore", backup, "--yes"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /in use by another Opstage process/);
      assert.equal(count(dbFile, "AuditEvent WHERE id = 'old-only'"), 1, "nothing replaced");
    } finally {
      await server.stop();
    }
  });

  test("refuses non-SQLite, truncated and newer-schema files with one line, changing nothing", async () => {
    const { dataDir, dbFile, backup } = await dataDirWithBackup();
    const before = readFileSync(dbFile);
    const junk = path.join(tempDir(), "junk.db");
    writeFileSync(junk, "nope ".repeat(1000));
    const truncated = path.join(tempDir(), "truncated.db");
    writeFileSync(truncated, readFileSync(backup).subarray(0, 4096 + 512));
    const newer = path.join(tempDir(), "newer.db");
    copyFileSync(backup, newer);
    const db = new Database(newer);
    db.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ('n', 'x', '2999-01-01', '29990101000000_future', '2999-01-01', 1)`,
    ).run();
    db.close();
    const folder = tempDir();
    for (const [file, why] of [
      [junk, /Not a readable SQLite database/],
      [truncated, /integrity_check failed|Not a readable SQLite database/],
      [newer, /newer version/],
      [folder, /is a folder, not a backup file/],
      [path.join(folder, "missing.db"), /does not exist/],
    ] as const) {
      const result = runCli(dataDir, ["restore", file, "--yes"]);
      assert.equal(result.code, 1, file);
      assert.match(result.stderr, why);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
    }
    assert.ok(readFileSync(dbFile).equals(before), "the current database is untouched");
    assert.equal(runCli(dataDir, ["restore", backup]).code, 2, "--yes is required without a terminal");
  });
});

describe("rollback drill on the built server", () => {
  test("older DB → upgrade → more writes → restore the pre-upgrade snapshot → the server starts on it again", async () => {
    // An "older version's" database: only the first migration, with data.
    const dataDir = tempDir();
    const dbFile = path.join(dataDir, "opstage.db");
    const old = openDatabase(dbFile);
    applyPendingMigrations(old, shipped.slice(0, 1));
    old
      .prepare(
        `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt) VALUES ('u-old', 'oldie', 'x', 'Oldie', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
      )
      .run();
    old.close();

    let server = await startServer({ dataDir });
    const upgradeOutput = server.output();
    assert.match(upgradeOutput, /stored the pre-upgrade snapshot (\S+)/);
    const preUpgrade = /stored the pre-upgrade snapshot (\S+)/.exec(upgradeOutput)![1]!;
    assert.equal(count(dbFile, "UpgradeHistory"), 1);
    assert.equal(runCli(dataDir, ["user", "create", "newbie", "--role", "viewer"], "newbie-password-1\n").code, 0);
    await server.stop();

    const restored = runCli(dataDir, ["restore", preUpgrade, "--yes"]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /applies \d+ migration\(s\)/);
    const preRestore = /kept as (\S+\.db)/.exec(restored.stdout)![1]!;
    assert.equal(count(preRestore, "User WHERE username = 'newbie'"), 1, "the replaced database is kept");
    assert.ok(!existsSync(`${dbFile}-wal`) || statSync(`${dbFile}-wal`).size === 0);

    server = await startServer({ dataDir });
    await server.stop();
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal(count(dbFile, "User WHERE username = 'oldie'"), 1);
    assert.equal(
      count(dbFile, "User WHERE username = 'newbie'"),
      0,
      "writes after the upgrade are gone: this is the old database",
    );
    assert.equal(
      count(dbFile, "_prisma_migrations WHERE finished_at IS NOT NULL"),
      shipped.length,
      "migrations re-applied",
    );
    assert.equal(count(dbFile, "AuditEvent WHERE action = 'backup.sqlite.restored'"), 1);
    assert.match(server.output(), /restored from /);
  });
});

describe("restore faults", () => {
  test("a stale -wal left by a killed server is not replayed onto the restored file", async () => {
    const { dataDir, dbFile, backup } = await dataDirWithBackup();
    const server = await startServer({ dataDir });
    addEvent(dbFile, "in-the-wal");
    await server.stop("SIGKILL"); // no checkpoint: the WAL keeps recent commits
    assert.ok(statSync(`${dbFile}-wal`).size > 0, "the test needs a non-empty WAL");
    const result = runCli(dataDir, ["restore", backup, "--yes"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal(count(dbFile, "AuditEvent WHERE id = 'new'"), 1);
    assert.equal(count(dbFile, "AuditEvent WHERE id IN ('old-only', 'in-the-wal')"), 0);
    const preRestore = /kept as (\S+\.db)/.exec(result.stdout)![1]!;
    assert.equal(
      count(preRestore, "AuditEvent WHERE id = 'in-the-wal'"),
      1,
      "the WAL's commits are in the pre-restore backup",
    );
  });

  test("a current database that cannot be opened is kept as a plain copy and replaced", async () => {
    const { dataDir, dbFile, backup } = await dataDirWithBackup();
    writeFileSync(dbFile, "garbage where the database was ".repeat(200));
    const result = runCli(dataDir, ["restore", backup, "--yes"]);
    assert.equal(result.code, 0, result.stderr);
    const kept = /kept as (\S+\.db)/.exec(result.stdout)![1]!;
    assert.match(path.basename(kept), /^opstage-unreadable-\d+\.db$/);
    assert.match(readFileSync(kept, "utf8"), /^garbage where the database was/);
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal(count(dbFile, "AuditEvent WHERE id = 'new'"), 1);
  });

  test("a backup whose manifest a crash left without its sha256 gets it at the next start", async () => {
    const { dataDir, backup } = await dataDirWithBackup();
    const manifestFile = `${backup}.json`;
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { sha256: string | null };
    const expected = manifest.sha256;
    assert.ok(expected);
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, sha256: null }));
    const server = await startServer({ dataDir });
    try {
      const deadline = Date.now() + 20_000;
      let sha256: string | null = null;
      // The log line follows the manifest's write: wait for both.
      while (!(sha256 && /recorded the sha256 of /.test(server.output())) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        sha256 = (JSON.parse(readFileSync(manifestFile, "utf8")) as { sha256: string | null }).sha256;
      }
      assert.equal(sha256, expected);
      assert.match(server.output(), /recorded the sha256 of /);
    } finally {
      await server.stop();
    }
  });

  for (const step of ["after-verify", "after-snapshot", "after-copy", "after-wal", "after-rename"]) {
    test(`kill -9 of the restore ${step}: the old or the new database is in place, and it starts`, async () => {
      const { dataDir, dbFile, backup } = await dataDirWithBackup();
      const result = runCli(dataDir, ["restore", backup, "--yes"], "", undefined, {
        OPSTAGE_TEST_RESTORE_CRASH_AT: step,
      });
      assert.equal(result.signal, "SIGKILL", `the restore died at ${step}: ${result.stderr}`);
      assert.equal(integrityOf(dbFile), "ok");
      const isOld = count(dbFile, "AuditEvent WHERE id = 'old-only'") === 1;
      const isNew = count(dbFile, "AuditEvent WHERE id = 'new'") === 1 && !isOld;
      assert.ok(isOld || isNew, "one of the two databases");
      assert.equal(isNew, step === "after-rename", "replaced exactly when the rename happened");
      const server = await startServer({ dataDir });
      await server.stop();
      assert.deepEqual(
        readdirSync(dataDir).filter((name) => name.startsWith(".tmp-")),
        [],
        "the start removed any unfinished copy",
      );
      // No backup may be the live file itself (a pre-restore link made just before the crash).
      const live = statSync(dbFile).ino;
      const backupDir = path.join(dataDir, "backups");
      for (const name of readdirSync(backupDir).filter((entry) => entry.endsWith(".db"))) {
        assert.notEqual(statSync(path.join(backupDir, name)).ino, live, `${name} is the live database`);
      }
    });
  }
});
