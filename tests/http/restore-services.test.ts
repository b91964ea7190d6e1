// A console restore and the server's services (lib/system/services.ts), on a 200 MB database: a
// scheduled run under way is waited for whole — its snapshot and its writes after it — before the
// file is swapped, and the console keeps answering throughout the restore.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { growDatabase, integrityOf, queryOne } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const MEGABYTES = 200;
const OWNER = { username: "owner", password: "owner-password-123" };
const env = { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password };

let server: RunningServer;
let dataDir: string;
let backupDir: string;
let cookie: string;
/** A manual backup of the 200 MB database, restored by each test. */
let manual: string;

before(async () => {
  dataDir = tempDir();
  backupDir = path.join(dataDir, "backups");
  await (await startServer({ dataDir, env })).stop();
  growDatabase(path.join(dataDir, "opstage.db"), MEGABYTES);
  server = await startServer({ dataDir, env });
  cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const made = await api("/api/admin/backups", { method: "POST" });
  assert.equal(made.status, 201, await made.clone().text());
  manual = ((await made.json()) as { name: string }).name;
});

after(async () => {
  await server?.stop();
});

function api(pathname: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { Cookie: cookie, ...(init.headers as Record<string, string>) };
  if (init.body) headers["Content-Type"] = "application/json";
  return fetch(`${server.url}${pathname}`, { ...init, headers });
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function scheduleRunning(): Promise<boolean> {
  const response = await api("/api/admin/backups");
  return ((await response.json()) as { schedule: { running: boolean } }).schedule.running;
}

async function setSchedule(cron: string | null) {
  const response = await api("/api/admin/backup-schedule", {
    method: "PUT",
    body: JSON.stringify({ cron, keep: 100 }),
  });
  assert.equal(response.status, 200, await response.clone().text());
}

async function restore(name: string): Promise<{ preRestore: string }> {
  const response = await api("/api/admin/restore", { method: "POST", body: JSON.stringify({ name }) });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as { preRestore: string };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

type Manifest = { name: string; kind: string; sha256: string | null; createdAt: string };

function manifests(): Manifest[] {
  return readdirSync(backupDir)
    .filter((file) => file.endsWith(".db.json"))
    .map((file) => JSON.parse(readFileSync(path.join(backupDir, file), "utf8")) as Manifest);
}

function settingIn(file: string, key: string): { name?: string } | null {
  const row = queryOne<{ valueJson: string } | undefined>(
    file,
    `SELECT valueJson FROM SystemSetting WHERE key = ?`,
    key,
  );
  return row ? (JSON.parse(row.valueJson) as { name?: string }) : null;
}

describe("a console restore while the services run", () => {
  test("a scheduled run under way is waited for whole: its backup verifies, its audit row and last run are in the replaced database kept aside", async () => {
    // Armed from the schedule route, inside that request's lease: the runs must take their own.
    await setSchedule("* * * * * *");
    await waitFor("a scheduled run to be copying", scheduleRunning);
    const restoreAsked = Date.now();
    const { preRestore } = await restore(manual);
    await setSchedule(null); // the restore kept this instance's schedule
    await waitFor("the last scheduled run to end", async () => !(await scheduleRunning()));

    const scheduled = manifests().filter((m) => m.kind === "scheduled");
    assert.ok(scheduled.length >= 1, "a scheduled backup was made");
    // Every stored scheduled backup is whole: its bytes are the ones its snapshot hashed, and
    // SQLite finds it sound.
    for (const manifest of scheduled) {
      const file = path.join(backupDir, manifest.name);
      assert.equal(await sha256Of(file), manifest.sha256, `${manifest.name}: the bytes its manifest names`);
      assert.equal(integrityOf(file), "ok", manifest.name);
    }
    // Nothing under a final name without its manifest (a half-written file keeps its temp name).
    const named = new Set(manifests().map((m) => m.name));
    for (const file of readdirSync(backupDir).filter((f) => f.endsWith(".db"))) {
      assert.ok(named.has(file), `${file} has a manifest`);
    }
    // The run that was copying when the restore was asked for (and any started while the restore
    // copied and verified its backup) ended before the swap: what it wrote after its copy is in
    // the database it ran on, kept as the pre-restore backup. No run's audit row is lost.
    const kept = path.join(backupDir, preRestore);
    const live = path.join(dataDir, "opstage.db");
    const audited = (file: string, name: string) =>
      queryOne<{ n: number }>(
        file,
        `SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.created' AND targetId = ?`,
        name,
      ).n;
    for (const manifest of scheduled) {
      assert.equal(audited(kept, manifest.name) + audited(live, manifest.name), 1, `${manifest.name}: one audit row`);
    }
    const underWay = scheduled
      .filter((m) => new Date(m.createdAt).getTime() <= restoreAsked)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1);
    assert.ok(underWay, "the run under way stored its backup");
    assert.equal(audited(kept, underWay.name), 1, "the run under way: its audit row is in the replaced database");
    const lastRun = settingIn(kept, "backup.schedule.lastRun")?.name;
    assert.ok(lastRun && lastRun >= underWay.name, `the last run the replaced database knows (${lastRun})`);
    assert.equal(audited(kept, lastRun), 1, "the last run before the swap: its audit row is there too");
    assert.equal(integrityOf(path.join(dataDir, "opstage.db")), "ok");
  });

  test("the console keeps answering during a restore, and a write acknowledged after it is in opstage.db on disk", async () => {
    type Answer = { what: string; status: number | "refused"; ms: number; retryAfter: string | null };
    const answers: Answer[] = [];
    let restoring = true;
    const poll = async (what: string, pathname: string) => {
      while (restoring) {
        const started = performance.now();
        try {
          const response = await api(pathname, { signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          const retryAfter = response.headers.get("retry-after");
          answers.push({ what, status: response.status, ms: performance.now() - started, retryAfter });
        } catch {
          answers.push({ what, status: "refused", ms: performance.now() - started, retryAfter: null });
        }
      }
    };
    const polling = Promise.all([poll("health", "/api/health"), poll("tokens", "/api/admin/tokens")]);
    await restore(manual);
    restoring = false;
    await polling;

    assert.ok(answers.length > 10, `${answers.length} answers`);
    const bad = answers.filter(
      (a) => a.status === "refused" || (a.status >= 500 && !(a.status === 503 && a.retryAfter !== null)),
    );
    assert.deepEqual(bad, [], "no refused connection, no 5xx but 503 with Retry-After");
    const slowest = answers.reduce((max, a) => (a.ms > max.ms ? a : max));
    assert.ok(slowest.ms < 2000, `the slowest answer took ${Math.round(slowest.ms)} ms (${slowest.what})`);

    // Signed in again (a restore ends every session), a write after the restore...
    cookie = await signIn(server.url, OWNER.username, OWNER.password);
    const created = await api("/api/admin/tokens", { method: "POST", body: JSON.stringify({ name: "after" }) });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    // ...is on disk once the server has stopped.
    await server.stop();
    const db = new Database(path.join(dataDir, "opstage.db"), { readonly: true, fileMustExist: true });
    try {
      assert.ok(db.prepare(`SELECT 1 FROM ApiToken WHERE id = ?`).get(id), "the token is in opstage.db");
    } finally {
      db.close();
    }
  });
});
