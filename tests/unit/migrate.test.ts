import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { readMigrationRows } from "../../lib/migrate/history";
import { MigrationError, migrationStatus } from "../../lib/migrate/status";
import { addMigration, copyShippedMigrations } from "../support/migrations";
import { tempDir } from "../support/temp";

function setup() {
  const dir = tempDir();
  const migrations = copyShippedMigrations(path.join(dir, "migrations"));
  const db = openDatabase(path.join(dir, "opstage.db"));
  return { dir, migrations, db };
}

function tables(db: ReturnType<typeof openDatabase>): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]
  ).map((row) => row.name);
}

describe("migrator", () => {
  test("fresh database: applies every migration and records them as Prisma does", () => {
    const { migrations, db } = setup();
    const files = readMigrationFiles(migrations);
    const { applied, status } = applyPendingMigrations(db, files);
    assert.deepEqual(
      applied,
      files.map((f) => f.name),
    );
    assert.equal(status.pending.length, 0);
    assert.ok(tables(db).includes("User") && tables(db).includes("AuditEvent"));
    const rows = readMigrationRows(db);
    assert.equal(rows.length, files.length);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.migration_name, files[i]!.name);
      assert.equal(row.checksum, files[i]!.checksum);
      assert.match(row.checksum, /^[0-9a-f]{64}$/);
      assert.ok(row.finished_at && row.rolled_back_at === null);
    }
    // Prisma's rule: checksum = sha256 hex of migration.sql's bytes.
    const firstSql = readFileSync(path.join(migrations, files[0]!.name, "migration.sql"));
    assert.equal(rows[0]!.checksum, createHash("sha256").update(firstSql).digest("hex"));
  });

  test("up to date: a second run applies nothing", () => {
    const { migrations, db } = setup();
    applyPendingMigrations(db, readMigrationFiles(migrations));
    const again = applyPendingMigrations(db, readMigrationFiles(migrations));
    assert.deepEqual(again.applied, []);
  });

  test("partial: only the new migration is applied and existing data stays", () => {
    const { migrations, db } = setup();
    applyPendingMigrations(db, readMigrationFiles(migrations));
    db.prepare(`INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES ('k', '"v"', CURRENT_TIMESTAMP)`).run();
    addMigration(migrations, "29990101000000_add_note", `ALTER TABLE "SystemSetting" ADD COLUMN "note" TEXT;`);
    const { applied } = applyPendingMigrations(db, readMigrationFiles(migrations));
    assert.deepEqual(applied, ["29990101000000_add_note"]);
    assert.deepEqual(db.prepare(`SELECT key, valueJson, note FROM "SystemSetting"`).get(), {
      key: "k",
      valueJson: '"v"',
      note: null,
    });
  });

  test("edited checksum: refused, nothing written", () => {
    const { migrations, db } = setup();
    const files = readMigrationFiles(migrations);
    applyPendingMigrations(db, files);
    const file = path.join(migrations, files[0]!.name, "migration.sql");
    writeFileSync(file, readFileSync(file, "utf8") + "\n-- edited\n");
    assert.throws(
      () => applyPendingMigrations(db, readMigrationFiles(migrations)),
      (error: unknown) =>
        error instanceof MigrationError &&
        error.problem === "modified" &&
        /was changed after it was applied/.test(error.message),
    );
  });

  test("failed row: refused with the migration named", () => {
    const { migrations, db } = setup();
    const files = readMigrationFiles(migrations);
    applyPendingMigrations(db, files);
    db.prepare(`UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = ?`).run(files[0]!.name);
    assert.throws(
      () => migrationStatus(db, files),
      (error: unknown) =>
        error instanceof MigrationError && error.problem === "failed" && error.message.includes(files[0]!.name),
    );
  });

  test("rolled-back row is ignored and the migration is applied again", () => {
    const { migrations, db } = setup();
    applyPendingMigrations(db, readMigrationFiles(migrations));
    addMigration(migrations, "29990101000000_add_note", `ALTER TABLE "SystemSetting" ADD COLUMN "note" TEXT;`);
    db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, rolled_back_at, applied_steps_count)
       VALUES ('x', 'abc', '29990101000000_add_note', '2020-01-01', '2020-01-01', 0)`,
    ).run();
    const { applied } = applyPendingMigrations(db, readMigrationFiles(migrations));
    assert.deepEqual(applied, ["29990101000000_add_note"]);
  });

  test("unknown newer migration: refused as a newer database, file bytes unchanged", () => {
    const { dir, migrations, db } = setup();
    const files = readMigrationFiles(migrations);
    applyPendingMigrations(db, files);
    db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ('future', 'f', '2999-01-01', '29990101000000_from_the_future', '2999-01-01', 1)`,
    ).run();
    db.pragma("wal_checkpoint(TRUNCATE)");
    const before = readFileSync(path.join(dir, "opstage.db"));
    assert.throws(
      () => applyPendingMigrations(db, files),
      (error: unknown) =>
        error instanceof MigrationError &&
        error.problem === "unknown" &&
        /newer Opstage version/.test(error.message) &&
        error.message.includes("29990101000000_from_the_future"),
    );
    db.pragma("wal_checkpoint(TRUNCATE)");
    assert.ok(readFileSync(path.join(dir, "opstage.db")).equals(before));
  });

  test("a database of another application is refused, nothing created in it", () => {
    const { migrations, db } = setup();
    db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    assert.throws(
      () => applyPendingMigrations(db, readMigrationFiles(migrations)),
      (error: unknown) => error instanceof MigrationError && error.problem === "foreign",
    );
    assert.deepEqual(tables(db), ["invoices"]);
  });

  test("a failing migration rolls back completely and records nothing", () => {
    const { migrations, db } = setup();
    applyPendingMigrations(db, readMigrationFiles(migrations));
    addMigration(
      migrations,
      "29990101000000_broken",
      `CREATE TABLE "Half" (id INTEGER PRIMARY KEY);\nINSERT INTO "NoSuchTable" VALUES (1);`,
    );
    assert.throws(
      () => applyPendingMigrations(db, readMigrationFiles(migrations)),
      (error: unknown) =>
        error instanceof MigrationError &&
        error.problem === "apply" &&
        /29990101000000_broken failed and was rolled back/.test(error.message),
    );
    assert.ok(!tables(db).includes("Half"));
    assert.equal(migrationStatus(db, readMigrationFiles(migrations)).pending.length, 1);
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
  });

  test("a Prisma table-rebuild migration keeps child rows (foreign keys off outside the transaction)", () => {
    const { migrations, db } = setup();
    addMigration(
      migrations,
      "29990101000000_parent_child",
      `CREATE TABLE "Parent" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL);
CREATE TABLE "Child" ("id" INTEGER NOT NULL PRIMARY KEY, "parentId" INTEGER NOT NULL,
  CONSTRAINT "Child_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Parent" ("id") ON DELETE CASCADE ON UPDATE CASCADE);`,
    );
    applyPendingMigrations(db, readMigrationFiles(migrations));
    db.exec(`INSERT INTO "Parent" VALUES (1, 'p'); INSERT INTO "Child" VALUES (10, 1), (11, 1);`);
    // What `prisma migrate dev` writes for a change SQLite cannot ALTER (here: name becomes nullable).
    addMigration(
      migrations,
      "29990102000000_rebuild_parent",
      `-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Parent" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT);
INSERT INTO "new_Parent" ("id", "name") SELECT "id", "name" FROM "Parent";
DROP TABLE "Parent";
ALTER TABLE "new_Parent" RENAME TO "Parent";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;`,
    );
    applyPendingMigrations(db, readMigrationFiles(migrations));
    assert.equal((db.prepare(`SELECT count(*) AS n FROM "Child"`).get() as { n: number }).n, 2);
    assert.deepEqual(db.pragma("foreign_key_check"), []);
  });

  test("a migration that leaves foreign-key violations is rolled back", () => {
    const { migrations, db } = setup();
    addMigration(
      migrations,
      "29990101000000_orphans",
      `CREATE TABLE "P" ("id" INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE "C" ("id" INTEGER NOT NULL PRIMARY KEY, "pId" INTEGER NOT NULL REFERENCES "P" ("id"));
INSERT INTO "C" VALUES (1, 42);`,
    );
    assert.throws(
      () => applyPendingMigrations(db, readMigrationFiles(migrations)),
      (error: unknown) => error instanceof MigrationError && /violating foreign keys/.test(error.message),
    );
    assert.ok(!tables(db).includes("C"));
  });
});
