// The parallel integrity check (lib/backup/index-check.ts, worker.ts checkIntegrityParallel: each
// index's entries summed as hashes against its table's rows)
// against SQLite's own integrity_check, on real files whose indexes were made to disagree with
// their tables: an index no longer maintained while rows were inserted, updated or deleted (its
// schema row removed meanwhile with writable_schema, then put back), and a non-unique index
// declared UNIQUE over duplicate keys. quick_check passes on all of them; integrity_check and the
// new check must both fail, and both pass on the sound file.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { CHECK_EXTENSION, loadCheckFunctions, planCheck, unexpectedPlan } from "../../lib/backup/index-check";
import { checkIntegrityParallel } from "../../lib/backup/worker";
import { findAppPath } from "../../lib/db/paths";
import { integrityOf } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { projectRoot } from "../support/server";
import { tempDir } from "../support/temp";

function pragmaWords(file: string, pragma: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma(pragma) as Record<string, string>[]).map((row) => Object.values(row)[0]).join("; ");
  } finally {
    db.close();
  }
}

/** A sound database: a table with a plain, a two-column, a UNIQUE and an autoindex (TEXT PRIMARY KEY). */
function soundDatabase(): string {
  const file = path.join(tempDir(), "sound.db");
  const db = new Database(file);
  db.exec(`
    CREATE TABLE "Event" ("id" TEXT NOT NULL PRIMARY KEY, "kind" TEXT NOT NULL, "actor" TEXT, "at" INTEGER NOT NULL, "code" TEXT);
    CREATE INDEX "Event_kind_idx" ON "Event"("kind");
    CREATE INDEX "Event_kind_actor_idx" ON "Event"("kind", "actor");
    CREATE UNIQUE INDEX "Event_code_key" ON "Event"("code");
    CREATE TABLE "Plain" ("n" INTEGER PRIMARY KEY, "v" TEXT);
  `);
  const insert = db.prepare(`INSERT INTO "Event" VALUES (?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      insert.run(`e${i}`, `kind-${i % 7}`, i % 5 === 0 ? null : `actor-${i % 13}`, i, i % 3 === 0 ? null : `c${i}`);
    }
  })();
  db.close();
  return file;
}

/**
 * A copy of `file` in which `change` ran while the index `index` was not in the schema, so SQLite
 * did not keep it up to date; `newSql` replaces the index's definition when given.
 */
function withStaleIndex(file: string, index: string, change: string, newSql?: string): string {
  const copy = path.join(tempDir(), "damaged.db");
  copyFileSync(file, copy);
  let db = new Database(copy);
  db.unsafeMode(true); // lifts SQLITE_DBCONFIG_DEFENSIVE, which forbids writable_schema
  const row = db.prepare("SELECT * FROM sqlite_schema WHERE name = ?").get(index) as Record<string, unknown>;
  db.pragma("writable_schema = ON");
  db.prepare("DELETE FROM sqlite_schema WHERE name = ?").run(index);
  db.close();
  db = new Database(copy);
  db.exec(change);
  db.close();
  db = new Database(copy);
  db.unsafeMode(true);
  db.pragma("writable_schema = ON");
  db.prepare("INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, ?, ?)").run(
    row.type,
    row.name,
    row.tbl_name,
    row.rootpage,
    newSql ?? row.sql,
  );
  db.close();
  return copy;
}

const sound = soundDatabase();
const sqliteHeaders = path.join(projectRoot, "node_modules", "better-sqlite3", "deps", "sqlite3");

describe("parallel integrity check", () => {
  test("a sound file passes both integrity_check and the check, with every index checked by its own queries", async () => {
    assert.equal(integrityOf(sound), "ok");
    const result = await checkIntegrityParallel(sound);
    assert.deepEqual(result.integrity, ["ok"]);
    assert.equal(result.sqlite, true);
    assert.match(result.by, /^quick_check and 4 index\(es\) summed against their tables on 2 threads$/);
    const db = new Database(sound, { readonly: true });
    try {
      loadCheckFunctions(db, findAppPath(CHECK_EXTENSION));
      const parts = planCheck(db);
      assert.deepEqual(parts.map((part) => (part.kind === "entries" ? part.spec.index : part.kind)).sort(), [
        "Event_code_key",
        "Event_kind_actor_idx",
        "Event_kind_idx",
        "quick_check",
        "rows",
        "sqlite_autoindex_Event_1",
      ]);
      // The table is read through its own b-tree, every index alone (a covering-index SCAN).
      for (const part of parts) {
        if (part.kind === "rows" || part.kind === "entries") assert.equal(unexpectedPlan(db, part), undefined);
      }
    } finally {
      db.close();
    }
  });

  // The last field: quick_check passes on it (SQLite 3.53's quick_check counts each index's
  // entries against its table's rows, but never compares their content).
  const damages: [string, () => string, RegExp, boolean][] = [
    [
      "rows inserted while the index was stale: rows missing from it",
      () => withStaleIndex(sound, "Event_kind_actor_idx", `INSERT INTO "Event" VALUES ('x1', 'kind-1', 'a', 1, NULL)`),
      /^wrong # of entries in index Event_kind_actor_idx: 3000 entries for 3001 rows$/,
      false,
    ],
    [
      "rows deleted while the index was stale: entries with no row",
      () => withStaleIndex(sound, "Event_kind_idx", `DELETE FROM "Event" WHERE rowid % 100 = 0`),
      /wrong # of entries in index Event_kind_idx/,
      false,
    ],
    [
      "a row updated while the index was stale: an entry with the old key, none with the new (counts equal)",
      () => withStaleIndex(sound, "Event_kind_actor_idx", `UPDATE "Event" SET "actor" = 'renamed' WHERE "id" = 'e42'`),
      /^index Event_kind_actor_idx does not match its table: its entries are not the rows' keys$/,
      true,
    ],
    [
      "an index whose entries are out of its declared order (built ascending, declared DESC)",
      () =>
        withStaleIndex(sound, "Event_kind_idx", "SELECT 1", `CREATE INDEX "Event_kind_idx" ON "Event"("kind" DESC)`),
      /^6 entries out of order in index Event_kind_idx$/,
      true,
    ],
    [
      "an index whose records hold more columns than its definition names (built on (kind, actor), declared on (kind))",
      () =>
        withStaleIndex(
          sound,
          "Event_kind_actor_idx",
          "SELECT 1",
          `CREATE INDEX "Event_kind_actor_idx" ON "Event"("kind")`,
        ),
      /row\(s\) missing from index Event_kind_actor_idx/,
      true,
    ],
    [
      "a non-unique index declared UNIQUE over equal keys",
      () =>
        withStaleIndex(sound, "Event_kind_idx", "SELECT 1", `CREATE UNIQUE INDEX "Event_kind_idx" ON "Event"("kind")`),
      /non-unique key\(s\) in index Event_kind_idx/,
      true,
    ],
  ];
  for (const [name, damage, expected, quickCheckPasses] of damages) {
    test(`${name}: integrity_check and the check fail`, async () => {
      const file = damage();
      if (quickCheckPasses) assert.equal(pragmaWords(file, "quick_check"), "ok", "a damage quick_check does not see");
      assert.notEqual(integrityOf(file), "ok");
      const result = await checkIntegrityParallel(file);
      assert.equal(result.sqlite, true);
      assert.notDeepEqual(result.integrity, ["ok"]);
      assert.ok(
        result.integrity.some((problem) => expected.test(problem)),
        result.integrity.join("; "),
      );
    });
  }

  test("integers past 2^53 are compared exactly: distinct keys that a double rounds alike are no duplicates, and a stale entry among them is found", async () => {
    const file = path.join(tempDir(), "huge.db");
    const db = new Database(file);
    db.exec(`CREATE TABLE "Big" ("id" INTEGER PRIMARY KEY, "n" INTEGER NOT NULL);
      CREATE UNIQUE INDEX "Big_n_key" ON "Big"("n");`);
    db.exec(`INSERT INTO "Big" ("n") VALUES (9007199254740992), (9007199254740993), (9223372036854775807);`);
    db.close();
    const sound = await checkIntegrityParallel(file);
    assert.deepEqual(sound.integrity, ["ok"]);
    assert.match(sound.by, /^quick_check and 1 index\(es\) summed against their tables on 2 threads$/);
    const stale = withStaleIndex(file, "Big_n_key", `UPDATE "Big" SET "n" = 9007199254740994 WHERE "id" = 2`);
    assert.notEqual(integrityOf(stale), "ok");
    const damaged = await checkIntegrityParallel(stale);
    assert.ok(
      damaged.integrity.includes("index Big_n_key does not match its table: its entries are not the rows' keys"),
      damaged.integrity.join("; "),
    );
  });

  // Files that SQLite orders otherwise than a naive comparison would: NOCASE stops comparing at a
  // NUL inside text ('a\0Z' and 'a\0b' are equal), so the check compares as SQLite does; BINARY
  // in a UTF-16 file compares UTF-16 bytes (U+0100 before U+00FF), so that table goes to
  // integrity_check, which passes it.
  test("a sound file with NOCASE text holding a NUL passes, and its index made stale does not", async () => {
    const file = path.join(tempDir(), "sound.db");
    const db = new Database(file);
    db.exec(`CREATE TABLE "t" ("id" INTEGER PRIMARY KEY, "a" TEXT); CREATE INDEX "ia" ON "t"("a" COLLATE NOCASE);
       INSERT INTO "t"("a") VALUES (CAST(X'61005A' AS TEXT)), (CAST(X'610062' AS TEXT)), (CAST(X'61005A' AS TEXT));`);
    db.close();
    assert.equal(integrityOf(file), "ok");
    const sound = await checkIntegrityParallel(file);
    assert.deepEqual(sound.integrity, ["ok"]);
    assert.match(sound.by, /^quick_check and 1 index\(es\) summed against their tables on 2 threads$/);
    const stale = withStaleIndex(file, "ia", `UPDATE "t" SET "a" = CAST(X'610063' AS TEXT) WHERE "id" = 2`);
    assert.notEqual(integrityOf(stale), "ok");
    const damaged = await checkIntegrityParallel(stale);
    assert.deepEqual(damaged.integrity, ["index ia does not match its table: its entries are not the rows' keys"]);
  });

  test("a sound UTF-16le database passes (its table checked by integrity_check)", async () => {
    const file = path.join(tempDir(), "sound.db");
    const db = new Database(file);
    db.exec(`PRAGMA encoding = 'UTF-16le'; CREATE TABLE "t" ("id" INTEGER PRIMARY KEY, "a" TEXT); CREATE INDEX "ia" ON "t"("a");
       INSERT INTO "t"("a") VALUES (char(255)), (char(256));`);
    db.close();
    assert.equal(integrityOf(file), "ok");
    const result = await checkIntegrityParallel(file);
    assert.deepEqual(result.integrity, ["ok"]);
    assert.match(result.by, /integrity_check\(t\): a UTF-16le database/);
  });

  test("without its SQLite extension the check is integrity_check itself, and says why", async () => {
    const missing = path.join(tempDir(), "opstage-check.so");
    const passed = await checkIntegrityParallel(sound, { extension: missing });
    assert.deepEqual(passed.integrity, ["ok"]);
    assert.match(
      passed.by,
      /^integrity_check \(the full check's SQLite extension did not load: .*\/opstage-check\.so is missing\)$/,
    );
    const stale = withStaleIndex(sound, "Event_kind_idx", `DELETE FROM "Event" WHERE rowid % 100 = 0`);
    const damaged = await checkIntegrityParallel(stale, { extension: missing });
    assert.notDeepEqual(damaged.integrity, ["ok"]);
    assert.equal(damaged.check, "integrity_check");
  });

  test("a file at the extension's path that is not the extension: integrity_check itself, and says why", async () => {
    const dir = tempDir();
    const source = path.join(dir, "stub.c");
    // Loads as a SQLite extension and defines nothing (a stale or foreign file in its place).
    writeFileSync(
      source,
      `#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
int sqlite3_extension_init(sqlite3 *db, char **e, const sqlite3_api_routines *api) { SQLITE_EXTENSION_INIT2(api); return SQLITE_OK; }\n`,
    );
    const stub = path.join(dir, "stub.so");
    execFileSync(process.env.CC || "cc", ["-fPIC", "-shared", "-I", sqliteHeaders, source, "-o", stub]);
    const result = await checkIntegrityParallel(sound, { extension: stub });
    assert.deepEqual(result.integrity, ["ok"]);
    assert.match(result.by, /^integrity_check \(.*stub\.so loaded but does not define opstage_entry_sums/);
  });

  test("an index naming a column twice goes to integrity_check, which finds a wrong second copy", async () => {
    // Built on (a, b) for one row (its record holds a and b), then declared on (a, a).
    const file = path.join(tempDir(), "twice.db");
    const db = new Database(file);
    db.exec(`CREATE TABLE "t" ("a", "b"); CREATE INDEX "i" ON "t"("a", "b");`);
    db.prepare(`INSERT INTO "t" (rowid, "a", "b") VALUES (80, 160, 161)`).run();
    db.close();
    const twice = withStaleIndex(
      file,
      "i",
      `INSERT INTO "t" (rowid, "a", "b") VALUES (1, 2, 2)`,
      `CREATE INDEX "i" ON "t"("a", "a")`,
    );
    assert.notEqual(integrityOf(twice), "ok");
    const result = await checkIntegrityParallel(twice);
    assert.match(result.by, /integrity_check\(t\): an index naming a column twice \(i\)/);
    assert.notDeepEqual(result.integrity, ["ok"]);
  });

  test("a sound table whose indexes take more columns than a SQL function's arguments passes (integrity_check)", async () => {
    const file = path.join(tempDir(), "wide.db");
    const db = new Database(file);
    const columns = Array.from({ length: 130 }, (_, i) => `"c${i}"`);
    db.exec(`CREATE TABLE "t" (${columns.join(", ")}); CREATE INDEX "i" ON "t"(${columns.join(", ")});`);
    db.prepare(`INSERT INTO "t" ("c0", "c129") VALUES (1, 'x')`).run();
    db.close();
    const result = await checkIntegrityParallel(file);
    assert.deepEqual(result.integrity, ["ok"]);
    assert.match(result.by, /integrity_check\(t\): an index of 130 columns \(i\)/);
  });

  test("a virtual table's shadow tables are checked too (FTS4's segdir has an index of its own)", async () => {
    const file = path.join(tempDir(), "fts.db");
    const db = new Database(file);
    db.exec(`CREATE VIRTUAL TABLE "Notes" USING fts4(body); INSERT INTO "Notes"(body) VALUES ('hello world');`);
    db.close();
    const result = await checkIntegrityParallel(file);
    assert.deepEqual(result.integrity, ["ok"]);
    const plan = new Database(file, { readonly: true });
    try {
      assert.ok(
        planCheck(plan).some((part) => "table" in part && part.table === "Notes_segdir"),
        "Notes_segdir is among the parts",
      );
    } finally {
      plan.close();
    }
  });

  test("a file that is not SQLite is not-sqlite, as integrity_check says", async () => {
    const result = await checkIntegrityParallel(path.join(shippedMigrationsDir, "..", "schema.prisma"));
    assert.equal(result.sqlite, false);
  });
});
