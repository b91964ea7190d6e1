// The operator CLI as shipped (node cli.mjs), against real data dirs, with and without the server.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";
import { integrityOf } from "../support/db";
import { projectRoot, runCli, startServer } from "../support/server";
import { tempDir } from "../support/temp";

let dataDir: string;

before(async () => {
  dataDir = tempDir();
  // Start once to create and migrate the database, then stop: the CLI works on a stopped data dir.
  const server = await startServer({ dataDir });
  await server.stop();
});

describe("opstage CLI", () => {
  test("backup writes a stored backup with a manifest; list shows it; verify passes", () => {
    const made = runCli(dataDir, ["backup"]);
    assert.equal(made.code, 0, made.stderr);
    const file = /Wrote (\S+\.db) /.exec(made.stdout)?.[1];
    assert.ok(file && existsSync(file) && existsSync(`${file}.json`), made.stdout);
    assert.equal(JSON.parse(readFileSync(`${file}.json`, "utf8")).kind, "manual");

    const listed = runCli(dataDir, ["list"]);
    assert.equal(listed.code, 0);
    assert.ok(listed.stdout.includes(path.basename(file)));

    const verified = runCli(dataDir, ["verify", file]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /restorable/);
    assert.match(verified.stdout, /matches the manifest/);
  });

  test("backup --out writes a sound file atomically and never overwrites", () => {
    const out = path.join(tempDir(), "nightly.db");
    const first = runCli(dataDir, ["backup", "--out", out]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(integrityOf(out), "ok");
    const before = readFileSync(out);
    const second = runCli(dataDir, ["backup", "--out", out]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already exists/);
    assert.equal(second.stderr.trim().split("\n").length, 1, "one line");
    assert.ok(readFileSync(out).equals(before));
  });

  test("verify refuses a non-SQLite file with exit 1 and says why", () => {
    const junk = path.join(tempDir(), "junk.db");
    writeFileSync(junk, "not a database ".repeat(500));
    const result = runCli(dataDir, ["verify", junk]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /not-sqlite/);
  });

  test("backup works while the server runs", async () => {
    const server = await startServer({ dataDir });
    try {
      const made = runCli(dataDir, ["backup"]);
      assert.equal(made.code, 0, made.stderr);
    } finally {
      await server.stop();
    }
  });

  test("verify and restore take a stored backup's name as list prints it", () => {
    const made = runCli(dataDir, ["backup"]);
    assert.equal(made.code, 0, made.stderr);
    const name = path.basename(/Wrote (\S+\.db) /.exec(made.stdout)![1]!);
    const listed = runCli(dataDir, ["list"])
      .stdout.split("\n")
      .find((line) => line.startsWith(name));
    assert.ok(listed, `list prints ${name}`);

    const verified = runCli(dataDir, ["verify", name]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /matches the manifest/);

    const restored = runCli(dataDir, ["restore", name, "--yes"]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /Restored/);
    assert.equal(integrityOf(path.join(dataDir, "opstage.db")), "ok");

    const unknown = runCli(dataDir, ["restore", "opstage-20000101T000000.000Z.db", "--yes"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /is neither a file nor a stored backup in .*opstage list/);
    assert.equal(unknown.stderr.trim().split("\n").length, 1, "one line");
  });

  test("usage errors exit 2", () => {
    assert.equal(runCli(dataDir, ["verify"]).code, 2);
    const folder = runCli(dataDir, ["verify", tempDir()]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /is a folder, not a backup file/);
    assert.equal(runCli(dataDir, ["backup", "extra"]).code, 2);
  });

  test("from a checkout, `npm run opstage` works on ./data, the data dir of scripts/run.sh", () => {
    const env = { ...process.env };
    delete env.OPSTAGE_DATA_DIR;
    // `config` only says where the data is: the checkout's own ./data is never opened by a test.
    const result = spawnSync("npm", ["run", "-s", "opstage", "--", "config"], {
      cwd: projectRoot,
      env,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `^Database: ${path.join(projectRoot, "data", "opstage.db").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
        "m",
      ),
    );
  });
});
