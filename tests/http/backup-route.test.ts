// The backup route and the guard, over HTTP against the built production server.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { readMigrationFiles } from "../../lib/migrate/files";
import { integrityOf, queryOne, SQLITE_MAGIC } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const OPERATOR = { username: "olga", password: "operator-password-123" };
const VIEWER = { username: "victor", password: "viewer-password-123" };

let server: RunningServer;
let dataDir: string;
let dbFile: string;
let backupDir: string;
const cookies: Record<string, string> = {};

type AuditRow = {
  actorType: string;
  actorId: string | null;
  result: string;
  message: string | null;
  metadataJson: string | null;
};
function lastAudit(action: string): AuditRow | undefined {
  return queryOne<AuditRow | undefined>(
    dbFile,
    `SELECT actorType, actorId, result, message, metadataJson FROM AuditEvent WHERE action = ? ORDER BY createdAt DESC, rowid DESC LIMIT 1`,
    action,
  );
}
function userId(username: string): string {
  return queryOne<{ id: string }>(dbFile, "SELECT id FROM User WHERE username = ?", username).id;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function eventuallyHashed(
  name: string,
): Promise<{ sha256: string | null; kind: string; snapshotMethod?: string }> {
  const file = path.join(backupDir, `${name}.json`);
  for (let i = 0; i < 100; i++) {
    const manifest = JSON.parse(readFileSync(file, "utf8")) as {
      sha256: string | null;
      kind: string;
      snapshotMethod?: string;
    };
    if (manifest.sha256) return manifest;
    await sleep(50);
  }
  assert.fail(`${name}'s manifest never got its sha256`);
}
function postBackup(headers: Record<string, string> = {}) {
  return fetch(`${server.url}/api/admin/backup/sqlite`, { method: "POST", headers, redirect: "manual" });
}

before(async () => {
  dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  backupDir = path.join(dataDir, "backups");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  for (const [user, role] of [
    [OPERATOR, "operator"],
    [VIEWER, "viewer"],
  ] as const) {
    const created = runCli(dataDir, ["user", "create", user.username, "--role", role], `${user.password}\n`);
    assert.equal(created.code, 0, created.stderr);
  }
  cookies.owner = await signIn(server.url, OWNER.username, OWNER.password);
  cookies.operator = await signIn(server.url, OPERATOR.username, OPERATOR.password);
  cookies.viewer = await signIn(server.url, VIEWER.username, VIEWER.password);
});

after(async () => {
  await server?.stop();
});

describe("POST /api/admin/backup/sqlite", () => {
  test("anonymous: 401 with the JSON error shape", async () => {
    const response = await postBackup();
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: { code: "unauthenticated", message: "Sign in first." } });
  });

  test("viewer and operator: 403, audited as backup.sqlite.denied", async () => {
    for (const [role, username] of [
      ["viewer", VIEWER.username],
      ["operator", OPERATOR.username],
    ] as const) {
      const response = await postBackup({ Cookie: cookies[role]! });
      assert.equal(response.status, 403, role);
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, "forbidden");
      const audit = lastAudit("backup.sqlite.denied");
      assert.equal(audit?.result, "DENIED");
      assert.equal(audit?.actorId, userId(username));
    }
  });

  test("owner: 200, a streamed consistent copy with the download headers, audited", async () => {
    const response = await postBackup({ Cookie: cookies.owner! });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/vnd.sqlite3");
    const disposition = response.headers.get("content-disposition") ?? "";
    const filename = /attachment; filename="(opstage-\d{8}T\d{6}\.\d{3}Z\.db)"/.exec(disposition)?.[1];
    assert.ok(filename, disposition);
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(Number(response.headers.get("content-length")), body.length);
    assert.equal(body.subarray(0, 16).toString("latin1"), SQLITE_MAGIC);

    const downloaded = path.join(tempDir(), "download.db");
    writeFileSync(downloaded, body);
    assert.equal(integrityOf(downloaded), "ok");
    assert.equal(
      queryOne<{ n: number }>(downloaded, "SELECT count(*) AS n FROM User WHERE username = ?", OWNER.username).n,
      1,
    );

    assert.ok(readdirSync(backupDir).includes(filename), "the backup is also kept in the backup dir");
    // The manifest gets its checksum after the download; it is the downloaded file's.
    const manifest = await eventuallyHashed(filename);
    assert.equal(manifest.sha256, createHash("sha256").update(body).digest("hex"));
    assert.equal(manifest.kind, "manual");
    assert.equal(manifest.snapshotMethod, "file-copy", "the server's database is in WAL mode: the fast way");
    const audit = lastAudit("backup.sqlite.created");
    assert.equal(audit?.result, "SUCCESS");
    assert.equal(audit?.actorType, "USER");
    assert.equal(audit?.actorId, userId(OWNER.username));
    const metadata = JSON.parse(audit!.metadataJson!) as {
      filename: string;
      bytes: number;
      durationMs: number;
      snapshotMethod: string;
    };
    assert.equal(metadata.filename, filename);
    assert.equal(metadata.snapshotMethod, "file-copy");
    assert.equal(metadata.bytes, body.length);
    assert.ok(Number.isInteger(metadata.durationMs) && metadata.durationMs >= 0);
  });

  test("cross-site: 403 even for the owner, audited", async () => {
    const forged: Record<string, string>[] = [
      { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
      { Origin: "https://evil.example" },
      { "Sec-Fetch-Site": "same-site" },
    ];
    for (const headers of forged) {
      const response = await postBackup({ Cookie: cookies.owner!, ...headers });
      assert.equal(response.status, 403, JSON.stringify(headers));
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "cross_site");
    }
    assert.match(lastAudit("backup.sqlite.denied")?.message ?? "", /cross-site/);
    // The console's own form post passes.
    const sameOrigin = await postBackup({
      Cookie: cookies.owner!,
      Origin: server.url,
      "Sec-Fetch-Site": "same-origin",
    });
    assert.equal(sameOrigin.status, 200);
    await sameOrigin.body?.cancel();
  });

  test("a client that disconnects mid-stream leaves no temp or partial file, and the server goes on", async () => {
    // Grow the database to ~40 MB so the download is still streaming when the client leaves.
    const writer = new Database(dbFile);
    writer.pragma("busy_timeout = 5000");
    const insert = writer.prepare(
      `INSERT INTO AuditEvent (id, actorType, action, result, message, createdAt) VALUES (?, 'SYSTEM', 'test.fill', 'SUCCESS', ?, CURRENT_TIMESTAMP)`,
    );
    writer.transaction(() => {
      for (let i = 0; i < 40_000; i++) insert.run(`fill-${i}`, "m".repeat(1000));
    })();
    writer.close();

    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/admin/backup/sqlite`, {
      method: "POST",
      headers: { Cookie: cookies.owner! },
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0);
    controller.abort();
    await reader.closed.catch(() => {});

    // The server notices the client left; whatever it was writing is committed or removed.
    let files = readdirSync(backupDir);
    for (let i = 0; i < 200 && files.some((name) => name.startsWith(".tmp-")); i++) {
      await sleep(25);
      files = readdirSync(backupDir);
    }
    assert.deepEqual(
      files.filter((name) => !/^opstage-\d{8}T\d{6}\.\d{3}Z\.db(\.json)?$/.test(name)),
      [],
      "no temp files",
    );
    for (const name of files.filter((file) => file.endsWith(".db"))) {
      assert.equal(integrityOf(path.join(backupDir, name)), "ok", name);
      // The checksum is completed even when the client left early.
      const manifest = await eventuallyHashed(name);
      assert.equal(
        manifest.sha256,
        createHash("sha256")
          .update(readFileSync(path.join(backupDir, name)))
          .digest("hex"),
        name,
      );
    }
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });

  test("a client that leaves during the snapshot: the backup is still stored whole, the server goes on", async () => {
    const before = new Set(readdirSync(backupDir));
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, "connect");
    socket.write(
      `POST /api/admin/backup/sqlite HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${cookies.owner}\r\nContent-Length: 0\r\n\r\n`,
    );
    // Leave as soon as the snapshot's temp file appears, before any response byte.
    for (let i = 0; i < 1000 && readdirSync(backupDir).every((name) => before.has(name)); i++) await sleep(5);
    socket.destroy();

    let name: string | undefined;
    for (let i = 0; i < 200 && !name; i++) {
      // The manifest goes in place first, then the file gets its final name: wait for the file.
      const files = readdirSync(backupDir);
      name = files.find(
        (file) => !before.has(file) && /^opstage-[\dTZ.]+\.db$/.test(file) && files.includes(`${file}.json`),
      );
      if (!name) await sleep(50);
    }
    assert.ok(name, "the snapshot was stored under its final name with a manifest");
    // The server finished with the response it could not send: the manifest gets its checksum.
    const manifest = await eventuallyHashed(name);
    assert.equal(
      manifest.sha256,
      createHash("sha256")
        .update(readFileSync(path.join(backupDir, name)))
        .digest("hex"),
    );
    assert.equal(integrityOf(path.join(backupDir, name)), "ok");
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });

  test("a demoted or disabled user loses access at once (role read from the database)", async () => {
    const db = new Database(dbFile);
    try {
      db.prepare("UPDATE User SET role = 'viewer' WHERE username = ?").run(OWNER.username);
      assert.equal((await postBackup({ Cookie: cookies.owner! })).status, 403);
      db.prepare("UPDATE User SET role = 'owner', status = 'DISABLED' WHERE username = ?").run(OWNER.username);
      assert.equal((await postBackup({ Cookie: cookies.owner! })).status, 401);
    } finally {
      db.prepare("UPDATE User SET role = 'owner', status = 'ACTIVE' WHERE username = ?").run(OWNER.username);
      db.close();
    }
  });
});

describe("console pages and other routes", () => {
  test("an unsigned visitor of a console page is redirected to /login", async () => {
    for (const page of ["/", "/settings/diagnostics"]) {
      const response = await fetch(`${server.url}${page}`, { redirect: "manual" });
      assert.equal(response.status, 307, page);
      assert.equal(new URL(response.headers.get("location")!, server.url).pathname, "/login");
    }
  });

  test("diagnostics API: 401 anonymous, facts for a viewer", async () => {
    assert.equal((await fetch(`${server.url}/api/admin/diagnostics`)).status, 401);
    const response = await fetch(`${server.url}/api/admin/diagnostics`, { headers: { Cookie: cookies.viewer! } });
    assert.equal(response.status, 200);
    const facts = (await response.json()) as Record<string, unknown> & {
      migrations: { pending: number; latest: string };
    };
    assert.equal(facts.edition, "CE");
    assert.equal(facts.journalMode, "wal");
    assert.equal(facts.dataDir, dataDir);
    assert.equal(facts.migrations.pending, 0);
    assert.equal(facts.migrations.latest, readMigrationFiles(shippedMigrationsDir).at(-1)!.name);
  });

  test("health: 200 with the version, not cached; HEAD the same without a body; other methods 405", async () => {
    const response = await fetch(`${server.url}/api/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string; version: string };
    assert.equal(body.status, "ok");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const head = await fetch(`${server.url}/api/health`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await fetch(`${server.url}/api/health`, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, "method_not_allowed");
  });

  test("sign-in is audited, and a wrong password is refused and audited", async () => {
    await assert.rejects(signIn(server.url, VIEWER.username, "wrong-password-123"), /sign-in as victor failed/);
    const failed = lastAudit("auth.login.failed");
    assert.equal(failed?.result, "FAILURE");
    assert.equal(failed?.actorId, userId(VIEWER.username));
    assert.equal(lastAudit("auth.login.succeeded")?.result, "SUCCESS");
  });
});
