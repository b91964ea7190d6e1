// API tokens, stored backups and the schedule, over HTTP against the built server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { existsSync, symlinkSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { integrityOf, queryOne, SQLITE_MAGIC } from "../support/db";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const VIEWER = { username: "vic", password: "viewer-password-123" };

let server: RunningServer;
let dataDir: string;
let dbFile: string;
let backupDir: string;
let ownerCookie: string;
let viewerCookie: string;

function api(pathname: string, init: RequestInit & { cookie?: string; bearer?: string } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.cookie) headers.Cookie = init.cookie;
  if (init.bearer) headers.Authorization = `Bearer ${init.bearer}`;
  if (init.body) headers["Content-Type"] = "application/json";
  return fetch(`${server.url}${pathname}`, { ...init, headers });
}

function sql(statement: string, ...params: unknown[]) {
  const db = new Database(dbFile);
  try {
    db.pragma("busy_timeout = 5000");
    return db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

async function createToken(name: string, expiresInDays: number | null = null): Promise<{ id: string; token: string }> {
  const response = await api("/api/admin/tokens", {
    method: "POST",
    cookie: ownerCookie,
    body: JSON.stringify({ name, expiresInDays }),
  });
  assert.equal(response.status, 201);
  return (await response.json()) as { id: string; token: string };
}

before(async () => {
  dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  backupDir = path.join(dataDir, "backups");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  assert.equal(runCli(dataDir, ["user", "create", VIEWER.username, "--role", "viewer"], VIEWER.password).code, 0);
  ownerCookie = await signIn(server.url, OWNER.username, OWNER.password);
  viewerCookie = await signIn(server.url, VIEWER.username, VIEWER.password);
});

after(async () => {
  await server?.stop();
});

describe("API tokens", () => {
  test("lifecycle: created once, used by a script, listed without its secret, revoked", async () => {
    const { id, token } = await createToken("host cron");
    assert.match(token, /^opst_[A-Za-z0-9_-]{43}$/);
    assert.equal(
      queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM ApiToken WHERE tokenHash = ?", token).n,
      0,
      "plaintext never stored",
    );

    const backup = await api("/api/admin/backup/sqlite", { method: "POST", bearer: token });
    assert.equal(backup.status, 200);
    const body = Buffer.from(await backup.arrayBuffer());
    assert.equal(body.subarray(0, 16).toString("latin1"), SQLITE_MAGIC);
    assert.equal(Number(backup.headers.get("content-length")), body.length);
    const audit = queryOne<{ actorType: string; actorId: string }>(
      dbFile,
      "SELECT actorType, actorId FROM AuditEvent WHERE action = 'backup.sqlite.created' ORDER BY rowid DESC LIMIT 1",
    );
    assert.deepEqual(audit, { actorType: "TOKEN", actorId: id });

    const list = (await (await api("/api/admin/tokens", { cookie: ownerCookie })).json()) as Record<string, unknown>[];
    const listed = list.find((row) => row.id === id)!;
    assert.equal(listed.status, "active");
    assert.ok(listed.lastUsedAt, "last use recorded");
    assert.ok(!JSON.stringify(list).includes(token), "the list never shows the token");

    assert.equal((await api(`/api/admin/tokens/${id}`, { method: "DELETE", cookie: ownerCookie })).status, 200);
    const revoked = await api("/api/admin/backup/sqlite", { method: "POST", bearer: token });
    assert.equal(revoked.status, 401);
    assert.match(((await revoked.json()) as { error: { message: string } }).error.message, /revoked/);
    for (const action of ["token.created", "token.revoked"]) {
      assert.equal(
        queryOne<{ n: number }>(
          dbFile,
          "SELECT count(*) AS n FROM AuditEvent WHERE action = ? AND targetId = ?",
          action,
          id,
        ).n,
        1,
        action,
      );
    }
  });

  test("an expired token, an unknown token and a demoted creator's token are refused", async () => {
    const expired = await createToken("expiring", 1);
    sql("UPDATE ApiToken SET expiresAt = ? WHERE id = ?", new Date(Date.now() - 1000).toISOString(), expired.id);
    const expiredAnswer = await api("/api/admin/backups", { method: "POST", bearer: expired.token });
    assert.equal(expiredAnswer.status, 401);
    assert.match(((await expiredAnswer.json()) as { error: { message: string } }).error.message, /expired/);

    assert.equal((await api("/api/admin/backups", { method: "POST", bearer: `opst_${"A".repeat(43)}` })).status, 401);

    const demoted = await createToken("demoted owner");
    sql("UPDATE User SET role = 'operator' WHERE username = ?", OWNER.username);
    try {
      const answer = await api("/api/admin/backups", { method: "POST", bearer: demoted.token });
      assert.equal(answer.status, 401);
      assert.match(
        ((await answer.json()) as { error: { message: string } }).error.message,
        /no longer an active owner/,
      );
    } finally {
      sql("UPDATE User SET role = 'owner' WHERE username = ?", OWNER.username);
    }
    assert.equal((await api("/api/admin/backups", { bearer: demoted.token })).status, 200, "works again once owner");
  });

  test("only owners manage tokens, and a token cannot mint tokens", async () => {
    assert.equal((await api("/api/admin/tokens", { cookie: viewerCookie })).status, 403);
    const { token } = await createToken("no minting");
    const minted = await api("/api/admin/tokens", {
      method: "POST",
      bearer: token,
      body: JSON.stringify({ name: "x" }),
    });
    assert.equal(minted.status, 403);
    const bad = await api("/api/admin/tokens", {
      method: "POST",
      cookie: ownerCookie,
      body: JSON.stringify({ name: "" }),
    });
    assert.equal(bad.status, 400);
  });
});

describe("stored backups over HTTP", () => {
  test("back up now, list, verify, download, delete; viewers can list but not act", async () => {
    const created = await api("/api/admin/backups", { method: "POST", cookie: ownerCookie });
    assert.equal(created.status, 201);
    const manifest = (await created.json()) as { name: string; sha256: string; kind: string; bytes: number };
    assert.equal(manifest.kind, "manual");

    const list = (await (await api("/api/admin/backups", { cookie: viewerCookie })).json()) as {
      backups: { name: string; sha256: string }[];
    };
    assert.equal(list.backups.find((b) => b.name === manifest.name)?.sha256, manifest.sha256);

    assert.equal((await api("/api/admin/backups", { method: "POST", cookie: viewerCookie })).status, 403);
    assert.equal((await api(`/api/admin/backups/${manifest.name}`, { cookie: viewerCookie })).status, 403);

    const verified = await api(`/api/admin/backups/${manifest.name}/verify`, { method: "POST", cookie: ownerCookie });
    assert.equal(verified.status, 200);
    assert.equal(((await verified.json()) as { state: string }).state, "restorable");

    const download = await api(`/api/admin/backups/${manifest.name}`, { cookie: ownerCookie });
    assert.equal(download.status, 200);
    assert.equal(Number(download.headers.get("content-length")), manifest.bytes);
    assert.equal((await download.arrayBuffer()).byteLength, manifest.bytes);

    assert.equal(
      (await api(`/api/admin/backups/${manifest.name}`, { method: "DELETE", cookie: ownerCookie })).status,
      200,
    );
    assert.ok(
      !existsSync(path.join(backupDir, manifest.name)) && !existsSync(path.join(backupDir, `${manifest.name}.json`)),
    );
  });

  test("names that try to leave the folder or follow a symlink are refused", async () => {
    symlinkSync(dbFile, path.join(backupDir, "sneaky.db"));
    for (const name of ["..%2Fopstage.db", "%2E%2E%2Fopstage.db", "sneaky.db", ".tmp-x.db", "opstage.db"]) {
      const download = await api(`/api/admin/backups/${name}`, { cookie: ownerCookie });
      assert.equal(download.status, 404, name);
      const removal = await api(`/api/admin/backups/${name}`, { method: "DELETE", cookie: ownerCookie });
      assert.equal(removal.status, 404, name);
    }
    assert.ok(existsSync(dbFile));
  });

  test("concurrent backup requests under a busy writer all yield sound files", async () => {
    // A separate process inserting one row per millisecond, as another client of the database.
    const writer = spawn(
      process.execPath,
      [
        "-e",
        `const D = require(${JSON.stringify(require.resolve("better-sqlite3"))});
         const db = new D(${JSON.stringify(dbFile)}); db.pragma("busy_timeout = 5000");
         const ins = db.prepare("INSERT INTO AuditEvent (id, actorType, action, result, createdAt) VALUES (?, 'SYSTEM', 'load', 'SUCCESS', CURRENT_TIMESTAMP)");
         let i = 0; const t = setInterval(() => ins.run("load-" + i++), 1);
         process.on("SIGTERM", () => { clearInterval(t); db.close(); console.log(i); process.exit(0); });`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let written = "";
    writer.stdout!.on("data", (chunk) => (written += chunk));
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      const answers = await Promise.all(
        [1, 2, 3, 4].map(() => api("/api/admin/backups", { method: "POST", cookie: ownerCookie })),
      );
      const names: string[] = [];
      for (const answer of answers) {
        assert.equal(answer.status, 201);
        names.push(((await answer.json()) as { name: string }).name);
      }
      for (const name of names) assert.equal(integrityOf(path.join(backupDir, name)), "ok", name);
    } finally {
      writer.kill("SIGTERM");
      await new Promise((resolve) => writer.once("exit", resolve));
    }
    const committed = Number(written.trim());
    assert.ok(committed > 50, `the writer kept committing (${committed})`);
    assert.equal(
      queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM AuditEvent WHERE action = 'load'").n,
      committed,
      "no write lost",
    );
  });
});

describe("the built-in schedule", () => {
  test("runs on its cron, audits as SYSTEM, and keeps exactly N scheduled backups", async () => {
    const before = (await (await api("/api/admin/backups", { cookie: viewerCookie })).json()) as {
      backups: { kind: string }[];
    };
    const otherKindsBefore = before.backups.filter((b) => b.kind !== "scheduled").length;
    const saved = await api("/api/admin/backup-schedule", {
      method: "PUT",
      cookie: ownerCookie,
      body: JSON.stringify({ cron: "* * * * * *", keep: 2 }), // every second (croner's seconds field)
    });
    assert.equal(saved.status, 200);
    assert.ok(((await saved.json()) as { nextRun: string | null }).nextRun);
    try {
      const deadline = Date.now() + 30_000;
      let scheduledRuns = 0;
      while (Date.now() < deadline && scheduledRuns < 4) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        scheduledRuns = queryOne<{ n: number }>(
          dbFile,
          "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.created' AND actorType = 'SYSTEM'",
        ).n;
      }
      assert.ok(scheduledRuns >= 4, `the schedule ran (${scheduledRuns} runs)`);
    } finally {
      const off = await api("/api/admin/backup-schedule", {
        method: "PUT",
        cookie: ownerCookie,
        body: JSON.stringify({ cron: null, keep: 2 }),
      });
      assert.equal(off.status, 200);
    }
    type Overview = {
      backups: { kind: string }[];
      schedule: { cron: string | null; running: boolean; lastRun: { ok: boolean } | null };
    };
    // A run that started before the schedule was turned off finishes (and applies retention).
    let overview: Overview;
    const deadline = Date.now() + 30_000;
    for (;;) {
      overview = (await (await api("/api/admin/backups", { cookie: viewerCookie })).json()) as Overview;
      if (!overview.schedule.running || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(overview.schedule.running, false, "the last run finished");
    assert.equal(overview.backups.filter((b) => b.kind === "scheduled").length, 2, "retention keeps exactly 2");
    assert.equal(
      overview.backups.filter((b) => b.kind !== "scheduled").length,
      otherKindsBefore,
      "other kinds untouched",
    );
    assert.equal(overview.schedule.cron, null);
    assert.equal(overview.schedule.lastRun?.ok, true);

    const bad = await api("/api/admin/backup-schedule", {
      method: "PUT",
      cookie: ownerCookie,
      body: JSON.stringify({ cron: "every day", keep: 2 }),
    });
    assert.equal(bad.status, 400);
  });
});
