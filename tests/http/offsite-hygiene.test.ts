// The offsite copy's housekeeping against a real S3 server process (s3rver on 127.0.0.1) and the
// built server: an upload cut by kill -9 leaves no incomplete multipart upload once the server is
// back; a copy that failed for good starts over with "Retry offsite copy now"; two concurrent
// fetches of one copy store it once (201 and 409) and the stored backup keeps its manifest.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { dataDirWithDatabase } from "../support/db";
import { startS3Server, type S3TestServer } from "../support/s3-server";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";

const OWNER = { username: "owner", password: "owner-password-123" };
const PREFIX = "hygiene";
let s3: S3TestServer;
let identity: string;
let env: Record<string, string>;
// ~64 MB: the upload (encrypted, 8 MiB parts) is under way long enough to be killed.
const dataDir = dataDirWithDatabase(64);
let server: RunningServer | null = null;
let cookie = "";

type CopyState = { status: string; attempts: number; key?: string } | null;
type BackupRow = { name: string; offsite: CopyState };

before(async () => {
  s3 = await startS3Server();
  identity = await generateIdentity();
  env = {
    OPSTAGE_ADMIN_USERNAME: OWNER.username,
    OPSTAGE_ADMIN_PASSWORD: OWNER.password,
    ...s3.env(PREFIX),
    OPSTAGE_OFFSITE_AGE_RECIPIENT: await identityToRecipient(identity),
    OPSTAGE_OFFSITE_KINDS: "manual",
    OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: "20",
  };
});

after(async () => {
  await server?.stop("SIGKILL");
  await s3?.stop();
});

async function startOpstage() {
  server = await startServer({ dataDir, env });
  cookie = await signIn(server.url, OWNER.username, OWNER.password);
}

async function api(pathname: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { Cookie: cookie };
  if (init.body) headers["Content-Type"] = "application/json";
  const response = await fetch(`${server!.url}${pathname}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, text, body: text.startsWith("{") ? JSON.parse(text) : null };
}

async function row(name: string): Promise<BackupRow | undefined> {
  return ((await api("/api/admin/backups")).body.backups as BackupRow[]).find((entry) => entry.name === name);
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 100,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

let copied = "";

describe("offsite housekeeping", () => {
  test("kill -9 during an upload: after the restart no incomplete multipart upload remains under the prefix", async () => {
    await startOpstage();
    const made = await api("/api/admin/backups", { method: "POST" });
    assert.equal(made.status, 201, made.text);
    const name = made.body.name as string;
    const partial = await until(
      "an upload with a part stored",
      async () => s3.incompleteUploads(PREFIX).find((upload) => upload.parts >= 1),
      60_000,
      10,
    );
    server!.process.kill("SIGKILL");
    await server!.stop();
    assert.ok(
      s3.incompleteUploads(PREFIX).some((upload) => upload.uploadId === partial.uploadId),
      "the kill left the upload incomplete",
    );

    await startOpstage();
    const done = await until(
      "the copy to be done",
      async () => {
        const state = (await row(name))?.offsite;
        return state?.status === "done" ? state : undefined;
      },
      60_000,
    );
    copied = name; // the next test fetches it back
    assert.equal(done.key, `${PREFIX}/${name}.age`);
    assert.deepEqual(s3.incompleteUploads(PREFIX), [], "no incomplete upload left");
  });

  test("two concurrent fetches of one copy: one 201, one 409, and the stored backup keeps its manifest", async () => {
    assert.ok(copied, "needs the copy of the previous test");
    const removed = await api(`/api/admin/backups/${encodeURIComponent(copied)}`, { method: "DELETE" });
    assert.equal(removed.status, 200, removed.text);
    const fetchCopy = () =>
      api("/api/admin/offsite/fetch", { method: "POST", body: JSON.stringify({ name: `${copied}.age`, identity }) });
    const answers = await Promise.all([fetchCopy(), fetchCopy()]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, 409], answers.map((a) => a.text).join("\n"));
    const refused = answers.find((answer) => answer.status === 409)!;
    assert.match(refused.body.error.message, /being fetched already|already exists/);
    const manifestFile = path.join(dataDir, "backups", `${copied}.json`);
    assert.ok(existsSync(path.join(dataDir, "backups", copied)), "the backup is stored");
    assert.ok(existsSync(manifestFile), "with its manifest");
    assert.equal(JSON.parse(readFileSync(manifestFile, "utf8")).verification.state, "restorable");
  });

  test('a copy that failed for good starts over with "Retry offsite copy now"', async () => {
    await s3.stop();
    const made = await api("/api/admin/backups", { method: "POST" });
    assert.equal(made.status, 201, made.text);
    const name = made.body.name as string;
    await until("the copy to fail for good", async () => (await row(name))?.offsite?.status === "failed", 30_000);
    await s3.start();
    const retried = await api(`/api/admin/backups/${encodeURIComponent(name)}/offsite-retry`, { method: "POST" });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.body.status, "pending");
    await until("the retried copy to be done", async () => (await row(name))?.offsite?.status === "done", 60_000);
    const again = await api(`/api/admin/backups/${encodeURIComponent(name)}/offsite-retry`, { method: "POST" });
    assert.equal(again.status, 409, again.text);
    assert.match(again.body.error.message, /has not failed.*nothing to retry/);
  });
});
