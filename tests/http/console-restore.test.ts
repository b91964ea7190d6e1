// Upload and restore from the console, in the running server.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { integrityOf, queryOne } from "../support/db";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

let server: RunningServer;
let dataDir: string;
let backupDir: string;
let otherBackup: string;

before(async () => {
  // The database to restore comes from another instance, whose only owner is "bravo".
  const otherDir = tempDir();
  const other = await startServer({
    dataDir: otherDir,
    env: { OPSTAGE_ADMIN_USERNAME: "bravo", OPSTAGE_ADMIN_PASSWORD: "bravo-password-123" },
  });
  await other.stop();
  otherBackup = path.join(tempDir(), "from-bravo.db");
  assert.equal(runCli(otherDir, ["backup", "--out", otherBackup]).code, 0);

  dataDir = tempDir();
  backupDir = path.join(dataDir, "backups");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: "alpha", OPSTAGE_ADMIN_PASSWORD: "alpha-password-123" },
  });
});

after(async () => {
  await server?.stop();
});

function upload(cookie: string, name: string, body: Uint8Array) {
  return fetch(`${server.url}/api/admin/backups/upload?name=${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { Cookie: cookie, "Content-Type": "application/octet-stream" },
    body: new Uint8Array(body),
  });
}

function restore(cookie: string, body: Record<string, unknown>) {
  return fetch(`${server.url}/api/admin/restore`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Polls until the condition holds (or fails after `ms`). */
async function eventually<T>(what: string, read: () => T | undefined | null | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("uploads: stored byte for byte, never over another, and two at once with one name give one 201 and one 409", async () => {
  const cookie = await signIn(server.url, "alpha", "alpha-password-123");
  const body = readFileSync(otherBackup);
  assert.equal((await upload(cookie, "from-bravo.db", body)).status, 201);
  assert.equal((await upload(cookie, "from-bravo.db", body)).status, 409, "never overwrites");
  assert.equal((await upload(cookie, "../escape.db", body)).status, 400);
  assert.ok(readFileSync(path.join(backupDir, "from-bravo.db")).equals(body), "stored byte for byte");

  const statuses = (await Promise.all([upload(cookie, "twin.db", body), upload(cookie, "twin.db", body)])).map(
    (r) => r.status,
  );
  assert.deepEqual(statuses.sort(), [201, 409], "the name is taken atomically");
  assert.ok(readFileSync(path.join(backupDir, "twin.db")).equals(body));
});

test("uploads that are not restorable are refused at once and not stored", async () => {
  const cookie = await signIn(server.url, "alpha", "alpha-password-123");
  const junk = await upload(cookie, "junk.db", Buffer.from("not a database ".repeat(400)));
  assert.equal(junk.status, 422);
  const junkError = ((await junk.json()) as { error: { code: string; message: string } }).error;
  assert.equal(junkError.code, "not_sqlite");
  assert.match(
    junkError.message,
    /^junk\.db was not stored\. Not a SQLite database: it does not start with "SQLite format 3"/,
  );
  // Cut inside a page, and cut at a page boundary (then the header's page count tells).
  const whole = readFileSync(otherBackup);
  const pageSize = whole.readUInt16BE(16);
  const truncated = await upload(cookie, "truncated.db", whole.subarray(0, 2 * pageSize + 100));
  assert.equal(truncated.status, 422);
  const truncatedError = ((await truncated.json()) as { error: { code: string; message: string } }).error;
  assert.equal(truncatedError.code, "truncated");
  assert.match(truncatedError.message, /not a whole number of \d+-byte pages/);
  const cutAtPage = await upload(cookie, "cut-at-page.db", whole.subarray(0, 2 * pageSize));
  assert.equal(cutAtPage.status, 422);
  assert.match(
    ((await cutAtPage.json()) as { error: { message: string } }).error.message,
    new RegExp(
      `Truncated: its header says \\d+ pages of ${pageSize} bytes \\(\\d+ bytes\\), but the file has ${2 * pageSize} bytes`,
    ),
  );
  for (const name of ["junk.db", "truncated.db", "cut-at-page.db"]) {
    assert.ok(!existsSync(path.join(backupDir, name)), `${name} was not stored`);
  }
});

test("a refused restore changes nothing and never puts the console into maintenance", async () => {
  const cookie = await signIn(server.url, "alpha", "alpha-password-123");
  // Copied in by hand, as an operator on the host could.
  writeFileSync(path.join(backupDir, "junk-on-disk.db"), "not a database ".repeat(20_000));
  let restoring = true;
  const readStatuses: number[] = [];
  const reading = (async () => {
    while (restoring)
      readStatuses.push((await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } })).status);
  })();
  const refused = await restore(cookie, { name: "junk-on-disk.db" });
  restoring = false;
  await reading;
  assert.equal(refused.status, 400);
  assert.match(
    ((await refused.json()) as { error: { message: string } }).error.message,
    /Not a readable SQLite database/,
  );
  assert.ok(readStatuses.length > 0);
  assert.deepEqual([...new Set(readStatuses)], [200], "no read during the refused restore got 503");
  assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
});

test("an owner restores a backup from the console; the server serves the restored database and keeps the replaced one", async () => {
  const cookie = await signIn(server.url, "alpha", "alpha-password-123");
  const verify = await fetch(`${server.url}/api/admin/backups/from-bravo.db/verify`, {
    method: "POST",
    headers: { Cookie: cookie },
  });
  assert.equal(((await verify.json()) as { state: string }).state, "restorable");

  // /api/health answers all along (200, or 503 during the swap), never hangs.
  let restoring = true;
  const healthStatuses = new Set<number>();
  const polling = (async () => {
    while (restoring) {
      const response = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      healthStatuses.add(response.status);
    }
  })();
  const done = await restore(cookie, { name: "from-bravo.db" });
  restoring = false;
  await polling;
  assert.equal(done.status, 200, await done.clone().text());
  assert.deepEqual(
    [...healthStatuses].filter((status) => status !== 200 && status !== 503),
    [],
  );
  const report = (await done.json()) as {
    preRestore: string;
    next: string;
    changes: { users: { username: string; changes: string[] }[] };
  };
  assert.equal(report.next, "/login?restored=1");
  assert.deepEqual(
    report.changes.users.map((user) => `${user.username}: ${user.changes.join(",")}`).sort(),
    ["alpha: gone", "bravo: comes back"],
    "the report says what the restore turned back",
  );

  assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  assert.equal(
    (await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } })).status,
    401,
    "alpha is not in the restored database",
  );
  const bravo = await signIn(server.url, "bravo", "bravo-password-123");
  assert.equal((await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: bravo } })).status, 200);

  const dbFile = path.join(dataDir, "opstage.db");
  assert.equal(integrityOf(dbFile), "ok");
  assert.equal(
    queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.restored'").n,
    1,
    "audited in the restored database",
  );
  const preRestore = path.join(backupDir, report.preRestore);
  assert.equal(
    queryOne<{ n: number }>(preRestore, "SELECT count(*) AS n FROM User WHERE username = 'alpha'").n,
    1,
    "the replaced database is kept",
  );
  const manifest = await eventually("the pre-restore manifest's sha256", () => {
    const parsed = JSON.parse(readFileSync(`${preRestore}.json`, "utf8")) as { sha256: string | null; kind: string };
    return parsed.sha256 ? parsed : null;
  });
  assert.equal(manifest.kind, "pre-restore");
  const { createHash } = await import("node:crypto");
  assert.equal(manifest.sha256, createHash("sha256").update(readFileSync(preRestore)).digest("hex"));
});

test("a restore keeps this instance's schedule unless asked for the backup's", async () => {
  const cookie = await signIn(server.url, "bravo", "bravo-password-123");
  const schedule = (cron: string | null) =>
    fetch(`${server.url}/api/admin/backup-schedule`, {
      method: "PUT",
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: JSON.stringify({ cron, keep: 4 }),
    });
  assert.equal((await schedule(null)).status, 200);
  // A backup whose schedule is off; then this instance gets a schedule.
  const made = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
  assert.equal(made.status, 201);
  const { name } = (await made.json()) as { name: string };
  copyFileSync(path.join(backupDir, name), path.join(backupDir, "schedule-off.db"));
  assert.equal((await schedule("0 3 * * *")).status, 200);

  const kept = await restore(cookie, { name: "schedule-off.db" });
  assert.equal(kept.status, 200, await kept.clone().text());
  assert.deepEqual(((await kept.json()) as { changes: { settings: unknown } }).changes.settings, {
    kept: true,
    differed: ["backup.schedule"],
  });
  const after = await signIn(server.url, "bravo", "bravo-password-123");
  const overview = (await (await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: after } })).json()) as {
    schedule: { cron: string | null };
  };
  assert.equal(overview.schedule.cron, "0 3 * * *", "the schedule survived the restore");

  const theirs = await restore(after, { name: "schedule-off.db", keepSettings: false });
  assert.equal(theirs.status, 200);
  const again = await signIn(server.url, "bravo", "bravo-password-123");
  const reverted = (await (await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: again } })).json()) as {
    schedule: { cron: string | null };
  };
  assert.equal(reverted.schedule.cron, null, "the backup's own schedule when asked");
});
