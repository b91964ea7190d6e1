// Start-up refusals and shutdown, against the built server.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { queryOne } from "../support/db";
import { buildWithExtraMigration } from "../support/migrations";
import { projectRoot, runCli, runServerToExit, spawnServer, startServer } from "../support/server";
import { tempDir } from "../support/temp";

describe("start-up", () => {
  test("a bad configuration value stops start-up with one line naming the variable", async () => {
    const { code, output } = await runServerToExit({ dataDir: tempDir(), env: { OPSTAGE_SESSION_TTL_SECONDS: "ten" } });
    assert.notEqual(code, 0);
    assert.match(output, /Invalid configuration: OPSTAGE_SESSION_TTL_SECONDS must be a number of seconds/);
  });

  test("a backup folder that is the data folder stops start-up and the CLI, and opstage.db is kept as it was", async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    await first.stop();
    const before = readFileSync(path.join(dataDir, "opstage.db"));
    for (let start = 0; start < 2; start++) {
      const { code, output } = await runServerToExit({ dataDir, env: { OPSTAGE_BACKUP_DIR: dataDir } }, 30_000);
      assert.notEqual(code, 0);
      assert.match(output, /Invalid configuration: OPSTAGE_BACKUP_DIR is the data folder OPSTAGE_DATA_DIR/);
    }
    const cli = runCli(dataDir, ["list"], "", undefined, { OPSTAGE_BACKUP_DIR: dataDir });
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /OPSTAGE_BACKUP_DIR is the data folder OPSTAGE_DATA_DIR/);
    assert.deepEqual(readFileSync(path.join(dataDir, "opstage.db")), before);
  });

  test("a missing session secret stops start-up", async () => {
    const { code, output } = await runServerToExit({ dataDir: tempDir(), env: { OPSTAGE_SESSION_SECRET: "" } });
    assert.notEqual(code, 0);
    assert.match(output, /OPSTAGE_SESSION_SECRET is required/);
  });

  test("a database from a newer version is refused and left byte-for-byte unchanged", async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    await server.stop();
    const dbFile = path.join(dataDir, "opstage.db");
    const db = new Database(dbFile);
    db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ('future', 'f', '2999-01-01', '29990101000000_next_feature', '2999-01-01', 1)`,
    ).run();
    db.pragma("journal_mode = DELETE"); // one file to compare, no -wal beside it
    db.close();
    const before = readFileSync(dbFile);

    const { code, output } = await runServerToExit({ dataDir });
    assert.notEqual(code, 0);
    // Same version string, newer schema: said as such, not as "0.1.0, newer than this build (0.1.0)".
    assert.match(output, /last run by a newer Opstage build than this one \(\d+\.\d+\.\d+\)/);
    assert.match(output, /29990101000000_next_feature/);
    assert.match(output, /restore a backup made by this version or an older one/);
    assert.ok(readFileSync(dbFile).equals(before), "the newer database was not written to");
  });

  test("unfinished backup files left by a crash are removed at start, and the start says so", async () => {
    const dataDir = tempDir();
    mkdirSync(path.join(dataDir, "backups"));
    const stale = ".tmp-opstage-20261124T000000.000Z.db.0badc0de";
    writeFileSync(path.join(dataDir, "backups", stale), "half a backup");
    const server = await startServer({ dataDir });
    await server.stop();
    assert.match(
      server.output(),
      new RegExp(`removed 1 unfinished backup file\\(s\\) left by a crash: ${stale.replace(/\./g, "\\.")}`),
    );
    assert.ok(!existsSync(path.join(dataDir, "backups", stale)));
  });

  test("a database last run by a newer version is refused even without a new migration", async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    await server.stop();
    const dbFile = path.join(dataDir, "opstage.db");
    const db = new Database(dbFile);
    db.prepare(`UPDATE "SystemSetting" SET valueJson = '"99.0.0"' WHERE key = 'app.version'`).run();
    db.pragma("journal_mode = DELETE");
    db.close();
    const before = readFileSync(dbFile);
    const { code, output } = await runServerToExit({ dataDir });
    assert.notEqual(code, 0);
    assert.match(output, /last run by Opstage 99\.0\.0, newer than this build \(\d+\.\d+\.\d+\)/);
    assert.ok(readFileSync(dbFile).equals(before), "not written to");
  });

  test("a second server on the same data dir is refused and leaves the first one's files alone", async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    try {
      const inFlight = path.join(dataDir, "backups", ".tmp-opstage-20261124T000000.000Z.db.cafe0001");
      writeFileSync(inFlight, "a backup being written by the first server");
      const { code, output } = await runServerToExit({ dataDir });
      assert.notEqual(code, 0);
      assert.match(output, /in use by another Opstage process/);
      assert.ok(existsSync(inFlight), "the first server's temp file was not touched");
      assert.equal((await fetch(`${first.url}/api/health`)).status, 200);
    } finally {
      await first.stop();
    }
  });

  test("answering the first /api/health loads neither the page renderer nor next-auth nor the rate limiter", async () => {
    // Start-up is mostly module loading. Code that start-up runs (register(), the health route)
    // must not import the session guard: it loads next-auth and next/headers, which bring in
    // next's page renderer, 1.1 MB of code that no start needs.
    const dataDir = tempDir();
    const listFile = path.join(dataDir, "loaded-modules.txt");
    const preload = path.join(projectRoot, "tests", "support", "loaded-modules.cjs");
    const server = await startServer({
      dataDir,
      env: { NODE_OPTIONS: `--require ${preload}`, LOADED_MODULES_FILE: listFile },
    });
    await server.stop();
    const loaded = readFileSync(listFile, "utf8").split("\n");
    assert.ok(loaded.some((file) => file.endsWith(path.join("pages", "api", "health.js"))));
    assert.deepEqual(
      loaded.filter((file) => file.includes("app-page-turbo.runtime")),
      [],
    );
    // Imported by a Pages Router module (pages-api.ts, the guard of the download routes),
    // next-auth and the sign-in rate limiter load from node_modules; imported by an App Router
    // module, next-auth is bundled into a chunk (looked for below).
    const fromNodeModules = (name: string) =>
      loaded.filter((file) => file.includes(path.join("node_modules", name, path.sep)));
    assert.deepEqual(fromNodeModules("next-auth"), []);
    assert.deepEqual(fromNodeModules("rate-limiter-flexible"), []);
    const bundled = loaded.filter((file) => file.includes(path.join(".next", "server", "chunks")));
    assert.ok(bundled.length > 0);
    assert.deepEqual(
      bundled.filter((file) => readFileSync(file, "utf8").includes("next-auth.session-token")),
      [],
    );
  });

  test("a file that is not SQLite is refused with a clear message", async () => {
    const dataDir = tempDir();
    writeFileSync(path.join(dataDir, "opstage.db"), "this is not a database".repeat(100));
    const { code, output } = await runServerToExit({ dataDir });
    assert.notEqual(code, 0);
    assert.match(output, /opstage\.db is not a readable SQLite database/);
  });
});

describe("shutdown", () => {
  test("SIGTERM checkpoints the WAL, so opstage.db alone is a complete copy; the log is JSON lines when asked", async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir, env: { OPSTAGE_LOG_FORMAT: "json" } });
    const created = runCli(dataDir, ["user", "create", "walter", "--role", "viewer"], "walter-password-1\n");
    assert.equal(created.code, 0, created.stderr);
    await server.stop("SIGTERM");
    // Next's own banner lines are text; every line of Opstage's own is one JSON record.
    const records = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string; app: string; time: number });
    assert.ok(
      records.some((r) => r.level === 30 && r.app === "opstage" && /^database (up to date|migrated)/.test(r.msg)),
      server.output(),
    );
    assert.ok(
      records.some((r) => r.msg === "database closed (WAL checkpointed)"),
      "the last line before the exit is written",
    );
    const walFile = path.join(dataDir, "opstage.db-wal");
    let walBytes = 0;
    try {
      walBytes = statSync(walFile).size;
    } catch {
      walBytes = 0;
    }
    assert.equal(walBytes, 0, "the WAL is empty after shutdown");
    assert.ok(!existsSync(path.join(dataDir, ".opstage.lock-journal")), "the data dir lock leaves no journal behind");
    // Copy only opstage.db (a cp of the stopped data dir) and find the last write in it.
    const copy = path.join(tempDir(), "copy.db");
    writeFileSync(copy, readFileSync(path.join(dataDir, "opstage.db")));
    assert.equal(queryOne<{ n: number }>(copy, "SELECT count(*) AS n FROM User WHERE username = 'walter'").n, 1);
  });
});

describe("migrations on start", () => {
  test("requests wait for pending migrations instead of being served early", async () => {
    // A copy of the build with one extra, slow migration (a few seconds of inserts).
    const appDir = buildWithExtraMigration(
      "29990101000000_slow",
      `CREATE TABLE "Slow" ("n" INTEGER NOT NULL PRIMARY KEY, "s" TEXT NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)
INSERT INTO "Slow" SELECT x, hex(randomblob(16)) FROM c;`,
    );
    const server = await spawnServer({ dataDir: tempDir(), appDir });
    try {
      let response: Response | undefined;
      const deadline = Date.now() + 60_000;
      while (!response && Date.now() < deadline) {
        response = await fetch(`${server.url}/api/health`).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return undefined;
        });
      }
      assert.ok(response, `no answer:\n${server.output()}`);
      assert.equal(response.status, 200, "the first answer comes after the migrations, not a 503 before them");
      assert.match(server.output(), /applied migration 29990101000000_slow/);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });
});
