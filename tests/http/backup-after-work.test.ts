// The work after a backup (its proof, its offsite copy) against the built server, with real
// faults: an S3 endpoint that refuses every connection (a closed loopback port) and a server
// killed with SIGKILL. A proof never waits for a copy's retries; a copy that failed for good
// makes the health "failing" even while a newer copy still retries; a backup whose proof a kill
// cut short is proven after the restart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { dataDirWithDatabase } from "../support/db";
import { freePort, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const running: RunningServer[] = [];

after(async () => {
  for (const server of running) await server.stop("SIGKILL");
});

type CopyState = { status: string; attempts: number; error?: string } | null;
type BackupRow = { name: string; verification: { at: string; state: string } | null; offsite: CopyState };
type Health = { status: string; details: { backups: { state: string; sources: Record<string, string> } } };

async function start(dataDir: string, env: Record<string, string> = {}) {
  const server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password, ...env },
  });
  running.push(server);
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const api = async (pathname: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.url}${pathname}`, { ...init, headers: { Cookie: cookie } });
    const text = await response.text();
    return { status: response.status, text, body: text.startsWith("{") ? JSON.parse(text) : null };
  };
  const backups = async (): Promise<BackupRow[]> => (await api("/api/admin/backups")).body.backups;
  const row = async (name: string) => (await backups()).find((entry) => entry.name === name);
  const backupNow = async (): Promise<string> => {
    const made = await api("/api/admin/backups", { method: "POST" });
    assert.equal(made.status, 201, made.text);
    return made.body.name as string;
  };
  const health = async (): Promise<Health> => (await fetch(`${server.url}/api/health`)).json() as Promise<Health>;
  return { server, api, row, backupNow, health };
}

/** Polls until `check` returns a value (the condition is awaited, no fixed sleep). */
async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("after-work with the S3 endpoint unreachable", () => {
  test("a newer backup is proven within 15 s, and a copy failed for good makes the health failing while another retries", async () => {
    const closedPort = await freePort(); // nothing listens: every attempt is refused at once
    const { api, row, backupNow, health } = await start(tempDir(), {
      OPSTAGE_OFFSITE_ENDPOINT: `http://127.0.0.1:${closedPort}`,
      OPSTAGE_OFFSITE_REGION: "us-east-1",
      OPSTAGE_OFFSITE_BUCKET: "unreachable",
      OPSTAGE_OFFSITE_PREFIX: "instance",
      OPSTAGE_OFFSITE_PATH_STYLE: "true",
      OPSTAGE_OFFSITE_ACCESS_KEY_ID: "KEY",
      OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: "secret",
      OPSTAGE_OFFSITE_KINDS: "manual",
      // 8 attempts, 7 waits doubling from 150 ms: a copy takes ~19 s to fail for good.
      OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: "150",
    });
    const first = await backupNow();
    await until(
      "the first copy's third failed attempt",
      async () => ((await row(first))?.offsite?.attempts ?? 0) >= 3,
      15_000,
    );

    const second = await backupNow();
    const madeAt = Date.now();
    const proven = await until("the second backup's proof", async () => (await row(second))?.verification, 15_000);
    assert.equal(proven.state, "restorable");
    assert.ok(Date.now() - madeAt < 15_000);

    // The first copy fails for good while the second, started later, still has attempts left.
    const failing = await until(
      "the first copy to fail for good",
      async () => {
        const [firstRow, state] = [await row(first), await health()];
        return firstRow?.offsite?.status === "failed" ? { state, second: (await row(second))?.offsite } : undefined;
      },
      40_000,
    );
    assert.notEqual(failing.second?.status, "failed", "the second copy is still retrying");
    assert.equal(failing.state.details.backups.sources.offsite, "failing");
    assert.equal(failing.state.details.backups.state, "failing");
    // The Overview's card and the banner say the same.
    const overview = await api("/");
    assert.match(overview.text, /data-testid="backup-health-card" data-state="failing"/);
    assert.match(overview.text, /data-testid="backup-health-banner" data-state="failing"/);
    assert.match(overview.text, new RegExp(`offsite copy of ${first.replace(/\./g, "\\.")} failed after 8 attempts`));
  });
});

describe("after-work across a kill", () => {
  test("a backup whose server was killed within 1 s of answering is proven within 30 s of the restart", async () => {
    // ~24 MB: the proof (hash, integrity_check) takes long enough to be cut short.
    const dataDir = dataDirWithDatabase(24);

    const first = await start(dataDir);
    const name = await first.backupNow();
    first.server.process.kill("SIGKILL");
    await first.server.stop();
    const manifest = JSON.parse(readFileSync(path.join(dataDir, "backups", `${name}.json`), "utf8"));
    assert.equal(manifest.verification, undefined, "the kill came before the proof was recorded");

    const second = await start(dataDir);
    const restartedAt = Date.now();
    const proven = await until(
      "the proof after the restart",
      async () => (await second.row(name))?.verification,
      30_000,
    );
    assert.equal(proven.state, "restorable");
    assert.ok(Date.now() - restartedAt < 30_000);
    const audit = new Database(path.join(dataDir, "opstage.db"), { readonly: true });
    try {
      const rows = audit
        .prepare(`SELECT result FROM "AuditEvent" WHERE action = 'backup.verified' AND targetId = ?`)
        .all(name);
      assert.deepEqual(rows, [{ result: "SUCCESS" }]);
    } finally {
      audit.close();
    }
  });
});
