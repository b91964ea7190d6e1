// Upload and restore from the console, in the running server.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { integrityOf, queryOne } from "../support/db";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

let server: RunningServer;
let dataDir: string;
let otherBackup: string;

before(async () => {
  // The database to restore comes from another instance, whose only owner is "bravo".
  const otherDir = tempDir();
  const other = await startServer({ dataDir: otherDir, env: { OPSTAGE_ADMIN_USERNAME: "bravo", OPSTAGE_ADMIN_PASSWORD: "bravo-password-123" } });
  await other.stop();
  otherBackup = path.join(tempDir(), "from-bravo.db");
  assert.equal(runCli(otherDir, ["backup", "--out", otherBackup]).code, 0);

  dataDir = tempDir();
  server = await startServer({ dataDir, env: { OPSTAGE_ADMIN_USERNAME: "alpha", OPSTAGE_ADMIN_PASSWORD: "alpha-password-123" } });
});

after(async () => {
  await server?.stop();
});

test("an owner uploads a backup, restores it from the console, and the server serves the restored database", async () => {
  const cookie = await signIn(server.url, "alpha", "alpha-password-123");
  const body = readFileSync(otherBackup);
  const put = (name: string) =>
    fetch(`${server.url}/api/admin/backups/upload?name=${encodeURIComponent(name)}`, {
      method: "PUT",
      headers: { Cookie: cookie, "Content-Type": "application/octet-stream" },
      body,
    });
  assert.equal((await put("from-bravo.db")).status, 201);
  assert.equal((await put("from-bravo.db")).status, 409, "never overwrites");
  assert.equal((await put("../escape.db")).status, 400);
  assert.ok(readFileSync(path.join(dataDir, "backups", "from-bravo.db")).equals(body), "stored byte for byte");

  const verify = await fetch(`${server.url}/api/admin/backups/from-bravo.db/verify`, { method: "POST", headers: { Cookie: cookie } });
  assert.equal(((await verify.json()) as { state: string }).state, "restorable");

  const restoring = fetch(`${server.url}/api/admin/restore`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "from-bravo.db" }),
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  const during = await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } });
  assert.equal(during.status, 503, "other requests wait out the restore");
  assert.ok(Number(during.headers.get("retry-after")) > 0);
  assert.equal((await fetch(`${server.url}/api/health`)).status, 503);

  const done = await restoring;
  assert.equal(done.status, 200, await done.clone().text());
  const report = (await done.json()) as { preRestore: string; next: string };
  assert.equal(report.next, "/login?restored=1");

  assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  assert.equal((await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } })).status, 401, "alpha is not in the restored database");
  const bravo = await signIn(server.url, "bravo", "bravo-password-123");
  assert.equal((await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: bravo } })).status, 200);

  const dbFile = path.join(dataDir, "opstage.db");
  assert.equal(integrityOf(dbFile), "ok");
  assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.restored'").n, 1, "audited in the restored database");
  const preRestore = path.join(dataDir, "backups", report.preRestore);
  assert.equal(queryOne<{ n: number }>(preRestore, "SELECT count(*) AS n FROM User WHERE username = 'alpha'").n, 1, "the replaced database is kept");
});

test("a file that cannot be restored is refused from the console, and the server keeps serving the same database", async () => {
  const cookie = await signIn(server.url, "bravo", "bravo-password-123"); // the database restored above
  const junk = Buffer.from("not a database ".repeat(400));
  const upload = await fetch(`${server.url}/api/admin/backups/upload?name=junk.db`, {
    method: "PUT",
    headers: { Cookie: cookie, "Content-Type": "application/octet-stream" },
    body: junk,
  });
  assert.equal(upload.status, 201);
  const refused = await fetch(`${server.url}/api/admin/restore`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "junk.db" }),
  });
  assert.equal(refused.status, 400);
  assert.match(((await refused.json()) as { error: { message: string } }).error.message, /Not a readable SQLite database/);
  assert.equal((await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } })).status, 200, "still serving, same users");
  assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
});
