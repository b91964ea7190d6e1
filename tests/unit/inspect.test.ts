// Browse, compare and export of Opstage database files, in the inspect worker, on generated
// databases with known differences (tests/support/inspect-fixture.ts).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { verifyDatabaseFile } from "../../lib/backup/verify";
import { cancelComparison, comparisonEnded, startComparison } from "../../lib/inspect/comparison-job";
import {
  backupContents,
  backupDomainView,
  backupRows,
  compareFiles,
  exportTable,
  InspectRefusedError,
} from "../../lib/inspect/inspect";
import { MASK_RULES, MASKED } from "../../lib/inspect/secrets";
import { openDatabase } from "../../lib/db/sqlite";
import { readMigrationFiles } from "../../lib/migrate/files";
import { AUDIT_EVENTS_REMOVED, backupDatabase, KNOWN_SECRETS, liveDatabase } from "../support/inspect-fixture";
import { shippedMigrationsDir } from "../support/migrations";
import { projectRoot } from "../support/server";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);
const backup = backupDatabase();
const live = liveDatabase(backup);

function assertNoSecret(what: string, output: string): void {
  for (const [name, secret] of Object.entries(KNOWN_SECRETS)) {
    assert.ok(!output.includes(secret), `${what} shows ${name}`);
  }
}

async function collect(generator: AsyncGenerator<string>): Promise<string> {
  let out = "";
  for await (const chunk of generator) out += chunk;
  return out;
}

describe("compare", () => {
  test("live → backup: exactly the known differences, per table and as domain lines", async () => {
    const result = await compareFiles({ path: live, label: "live" }, { path: backup, label: "backup.db" }, shipped);
    assert.equal(result.identical, false);
    const counts = Object.fromEntries(result.tables.map((t) => [t.table, [t.added, t.removed, t.changed]]));
    assert.deepEqual(counts, {
      ApiToken: [1, 0, 1],
      AuditEvent: [0, AUDIT_EVENTS_REMOVED, 1],
      SystemSetting: [0, 0, 1],
      User: [0, 1, 2],
    });
    assert.deepEqual(result.domain, [
      "alice: viewer → owner",
      "bob: password differs",
      "user carol removed",
      "token host-cron: revoked → works",
      "token ci: none → works",
      "schedule: 0 3 * * * → off",
      "1,204 audit events removed",
      "1 audit event changed",
    ]);
    const audit = result.tables.find((t) => t.table === "AuditEvent")!;
    assert.equal(audit.first.removed.length, 5, "the first rows of each kind are listed");
    const users = result.tables.find((t) => t.table === "User")!;
    const alice = users.first.changed.find((change) => change.key[0] === "u-alice")!;
    assert.deepEqual(alice.columns, ["role"]);
    const bob = users.first.changed.find((change) => change.key[0] === "u-bob")!;
    assert.deepEqual(bob.columns, ["passwordHash"], "a changed secret is said to change");
    assert.equal(bob.before[users.columns.indexOf("passwordHash")], MASKED);
    assertNoSecret("the comparison", JSON.stringify(result));
  });

  test("the other way round, the same counts mirrored", async () => {
    const result = await compareFiles({ path: backup, label: "backup.db" }, { path: live, label: "live" }, shipped);
    const counts = Object.fromEntries(result.tables.map((t) => [t.table, [t.added, t.removed, t.changed]]));
    assert.deepEqual(counts, {
      ApiToken: [0, 1, 1],
      AuditEvent: [AUDIT_EVENTS_REMOVED, 0, 1],
      SystemSetting: [0, 0, 1],
      User: [1, 0, 2],
    });
    assert.ok(result.domain.includes("alice: owner → viewer"));
    assert.ok(result.domain.includes("token host-cron: works → revoked"));
    assert.ok(result.domain.includes("1,204 audit events added"));
  });

  test("a file compared with itself (or a copy) has no change", async () => {
    const result = await compareFiles({ path: backup, label: "a" }, { path: backup, label: "a" }, shipped);
    assert.equal(result.identical, true);
    assert.deepEqual(result.tables, []);
    assert.deepEqual(result.domain, []);
  });

  test("a row moved to another rowid with the same key and content is no change", async () => {
    const dir = tempDir();
    const moved = path.join(dir, "moved.db");
    writeFileSync(moved, readFileSync(backup));
    const db = openDatabase(moved);
    db.exec(`UPDATE "AuditEvent" SET rowid = rowid + 100000 WHERE id = 'audit-000003'`);
    db.close();
    const result = await compareFiles({ path: backup, label: "a" }, { path: moved, label: "b" }, shipped);
    assert.equal(result.identical, true, JSON.stringify(result.tables));
  });
});

test("a foreign table with sparse integer keys is compared in bounded steps", async () => {
  const make = (file: string, extra: string) => {
    const db = openDatabase(file);
    db.exec(`CREATE TABLE "Sparse" (id INTEGER PRIMARY KEY, v TEXT)`);
    db.exec(`INSERT INTO "Sparse" VALUES (1, 'a'), (4611686018427387, 'b'), (9007199254740000, 'c')${extra}`);
    db.close();
  };
  const dir = tempDir();
  const a = path.join(dir, "a.db");
  const b = path.join(dir, "b.db");
  writeFileSync(a, readFileSync(backup));
  writeFileSync(b, readFileSync(backup));
  make(a, "");
  make(b, ", (123456789012345, 'd')");
  const result = await compareFiles({ path: a, label: "a" }, { path: b, label: "b" }, shipped);
  const sparse = result.tables.find((t) => t.table === "Sparse")!;
  assert.deepEqual([sparse.added, sparse.removed, sparse.changed], [1, 0, 0]);
});

describe("browse", () => {
  test("tables with row counts and sizes, pages by key, secrets masked everywhere", async () => {
    const contents = await backupContents(live, shipped, { sizes: true });
    const byName = Object.fromEntries(contents.tables.map((t) => [t.name, t]));
    assert.equal(byName.AuditEvent!.rows, 100 + AUDIT_EVENTS_REMOVED);
    assert.equal(byName.User!.rows, 3);
    assert.ok(byName.AuditEvent!.bytes! >= contents.pageSize, "sizes from dbstat");
    const quick = await backupContents(live, shipped);
    assert.equal(quick.tables.find((t) => t.name === "AuditEvent")!.bytes, null, "sizes only when asked");
    assert.deepEqual(byName.User!.masked, ["passwordHash"]);

    let seen = 0;
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await backupRows(live, "AuditEvent", { after, limit: 500 }, shipped);
      seen += page.rows.length;
      after = page.next;
      pages++;
    } while (after);
    assert.equal(seen, 100 + AUDIT_EVENTS_REMOVED);
    assert.equal(pages, 3);

    let everything = JSON.stringify(contents);
    for (const table of contents.tables)
      everything += JSON.stringify(await backupRows(live, table.name, { after: null, limit: 500 }, shipped));
    const domain = await backupDomainView(live, shipped);
    everything += JSON.stringify(domain);
    assertNoSecret("browse", everything);
    assert.ok(everything.includes(MASKED));
    assert.deepEqual(
      domain.users.map((u) => [u.username, u.role, u.status, u.twoFactor]),
      [
        ["alice", "viewer", "ACTIVE", "off"],
        ["bob", "operator", "ACTIVE", "on"],
        ["carol", "viewer", "ACTIVE", "off"],
      ],
    );
    assert.deepEqual(
      domain.tokens.map((t) => [t.name, t.state]),
      [["host-cron", "revoked"]],
    );
    assert.deepEqual(domain.schedule, { cron: "0 3 * * *", keep: 7 });
    assert.equal(domain.offsite?.bucket, "ops-backups");
    assert.equal(domain.offsite?.secretSet, true);
    assert.equal(domain.alertChannels[0]?.secretSet, true);
    assert.equal(domain.audit.total, 100 + AUDIT_EVENTS_REMOVED);
    assert.equal(domain.audit.newest.length, 20);
  });

  test("export as CSV and NDJSON: every row, masked", async () => {
    for (const table of ["User", "ApiToken", "TwoFactor", "RecoveryCode", "Session", "AlertChannel", "SystemSetting"]) {
      const csv = await collect(exportTable(live, table, "csv", shipped));
      const ndjson = await collect(exportTable(live, table, "ndjson", shipped));
      assertNoSecret(`the ${table} export`, csv + ndjson);
    }
    const csv = await collect(exportTable(live, "AuditEvent", "csv", shipped));
    assert.equal(csv.trimEnd().split("\r\n").length, 1 + 100 + AUDIT_EVENTS_REMOVED);
    const ndjson = await collect(exportTable(live, "User", "ndjson", shipped));
    const users = ndjson
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      users.map((u) => u.username),
      ["alice", "bob", "carol"],
    );
    assert.ok(users.every((u) => u.passwordHash === MASKED));
  });

  test("a CSV export keeps text that a spreadsheet would run as a formula as text; numbers stay numbers", async () => {
    const file = path.join(tempDir(), "formulas.db");
    const db = new Database(live, { readonly: true });
    db.exec(`VACUUM INTO '${file}'`);
    db.close();
    const writable = new Database(file);
    const id = (writable.prepare(`SELECT id FROM "AuditEvent" ORDER BY rowid LIMIT 1`).get() as { id: string }).id;
    writable
      .prepare(`UPDATE "AuditEvent" SET "userAgent" = ?, "message" = ?, "ipAddress" = ? WHERE id = ?`)
      .run('=HYPERLINK("http://evil.example","x")', "@SUM(1)", "-2+3", id);
    writable
      .prepare(
        `INSERT INTO "AlertDelivery" (id, channelId, eventType, eventJson, attempts, nextAttemptAt) VALUES ('d1', 'c1', 'backup.failed', '{}', -5, CURRENT_TIMESTAMP)`,
      )
      .run();
    writable.close();
    const csv = await collect(exportTable(file, "AuditEvent", "csv", shipped));
    const line = csv.split("\r\n").find((row) => row.startsWith(`${id},`) || row.includes(`,${id},`));
    assert.ok(line, csv.slice(0, 500));
    assert.ok(line.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), line);
    assert.ok(line.includes(",'@SUM(1),"), line);
    assert.ok(line.includes(",'-2+3,"), line);
    const deliveries = await collect(exportTable(file, "AlertDelivery", "csv", shipped));
    assert.match(deliveries, /,-5(,|\r\n)/, "a negative number is written as it is");
  });

  test("an unknown table is a 404-kind error, not a crash", async () => {
    await assert.rejects(backupRows(live, "Nope", { after: null }, shipped), { code: "not_found" });
  });
});

describe("refusals use verify's words", () => {
  const refusedWith = async (file: string, run: () => Promise<unknown>) => {
    const verdict = await verifyDatabaseFile(file, shipped, null);
    assert.equal(verdict.restorable, false);
    await assert.rejects(run, (error: Error) => {
      assert.ok(error instanceof InspectRefusedError, String(error));
      assert.ok(error.message.includes(verdict.detail), `${error.message} / ${verdict.detail}`);
      return true;
    });
  };

  test("not SQLite", async () => {
    const file = path.join(tempDir(), "text.db");
    writeFileSync(file, "this is not a database\n".repeat(300));
    await refusedWith(file, () => backupContents(file, shipped));
    await refusedWith(file, () => compareFiles({ path: backup, label: "a" }, { path: file, label: "b" }, shipped));
  });

  test("SQLite but not an Opstage database", async () => {
    const file = path.join(tempDir(), "foreign.db");
    const db = new Database(file);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    db.close();
    await refusedWith(file, () => backupRows(file, "notes", { after: null }, shipped));
    await refusedWith(file, () => compareFiles({ path: file, label: "a" }, { path: backup, label: "b" }, shipped));
  });

  test("corrupt", async () => {
    const file = path.join(tempDir(), "corrupt.db");
    const bytes = readFileSync(live);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite pages in the middle (the audit events' b-tree) with garbage.
    for (let page = 8; page < bytes.length / pageSize - 2; page += 3)
      bytes.fill(0x5a, page * pageSize, page * pageSize + 200);
    writeFileSync(file, bytes);
    await refusedWith(file, () => compareFiles({ path: backup, label: "a" }, { path: file, label: "b" }, shipped));
  });
});

describe("one comparison at a time", () => {
  test("a second, different comparison is refused (409) while one runs; the same one is joined; cancel ends it", async () => {
    const first = startComparison({ path: live, label: "live" }, { path: backup, label: "backup.db" }, shipped);
    assert.equal(first.state, "running");
    const joined = startComparison({ path: live, label: "live" }, { path: backup, label: "backup.db" }, shipped);
    assert.equal(joined.id, first.id);
    assert.throws(() => startComparison({ path: backup, label: "backup.db" }, { path: live, label: "live" }, shipped), {
      code: "comparison_in_progress",
    });
    const cancelled = await cancelComparison(first.id);
    assert.equal(cancelled.state, "cancelled");
    const next = startComparison({ path: backup, label: "backup.db" }, { path: live, label: "live" }, shipped);
    const done = await comparisonEnded(next.id);
    assert.equal(done.state, "done");
    assert.equal(done.result?.tables.length, 4);
    assert.ok(done.progress && done.progress.done === done.progress.total, "progress reaches the end");
  });
});

describe("the mask list", () => {
  test("every column of the schema that looks like a secret is masked (or said why not)", () => {
    const schema = readFileSync(path.join(projectRoot, "prisma/schema.prisma"), "utf8");
    const notSecret = new Set(["SystemSetting.key", "ApiToken.prefix"]);
    let model = "";
    const found: string[] = [];
    for (const line of schema.split("\n")) {
      const start = /^model (\w+) \{/.exec(line);
      if (start) model = start[1]!;
      const field = /^\s+(\w+)\s+String/.exec(line);
      if (model && field && /hash|secret|password|key|token|code/i.test(field[1]!)) found.push(`${model}.${field[1]}`);
    }
    const masked = new Set(MASK_RULES.map((rule) => `${rule.table}.${rule.column}`));
    for (const column of found)
      assert.ok(masked.has(column) || notSecret.has(column), `${column} is not in MASK_RULES`);
    assert.ok(masked.has("Session.id"));
  });
});
