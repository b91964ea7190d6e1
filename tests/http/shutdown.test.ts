// SIGTERM (docker stop) while the server is busy: a scheduled snapshot of a 200 MB database, its
// offsite copy to S3 (s3rver) and an alert held by a webhook receiver that never answers. The
// process stops its services (lib/system/shutdown.ts) and exits 0 within 10 s, and nothing
// half-written carries a final name: not a backup, not an offsite object.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { startHangingReceiver, type HangingReceiver } from "../support/alert-receivers";
import { growDatabase, integrityOf } from "../support/db";
import { startS3Server, type S3TestServer } from "../support/s3-server";
import { startServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const PREFIX = "shutdown";

let s3: S3TestServer | undefined;
let hanging: HangingReceiver | undefined;
after(async () => {
  await s3?.stop();
  await hanging?.close();
});

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

test("SIGTERM during a scheduled snapshot, an offsite copy and an alert delivery: exit 0 within 10 s, nothing half-written under a final name", async () => {
  [s3, hanging] = await Promise.all([startS3Server(), startHangingReceiver()]);
  const dataDir = tempDir();
  const backupDir = path.join(dataDir, "backups");
  const env = {
    OPSTAGE_ADMIN_USERNAME: OWNER.username,
    OPSTAGE_ADMIN_PASSWORD: OWNER.password,
    ...s3.env(PREFIX),
    OPSTAGE_OFFSITE_KINDS: "scheduled",
  };
  await (await startServer({ dataDir, env })).stop();
  growDatabase(path.join(dataDir, "opstage.db"), 200);
  const server = await startServer({ dataDir, env });
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const api = (pathname: string, init: RequestInit = {}) =>
    fetch(`${server.url}${pathname}`, {
      ...init,
      headers: { Cookie: cookie, ...(init.body ? { "Content-Type": "application/json" } : {}) },
    });
  const channel = await api("/api/admin/alerts", {
    method: "POST",
    body: JSON.stringify({
      type: "webhook",
      name: "never answers",
      enabled: true,
      events: ["backup.scheduled.failed"],
      config: { url: hanging.url, preset: "generic" },
    }),
  });
  assert.equal(channel.status, 201, await channel.clone().text());

  // A failing run first (the backup folder is a file for a moment): its alert goes to the
  // receiver that never answers, and stays in delivery.
  renameSync(backupDir, `${backupDir}.away`);
  writeFileSync(backupDir, "not a folder\n");
  const scheduled = await api("/api/admin/backup-schedule", {
    method: "PUT",
    body: JSON.stringify({ cron: "* * * * * *", keep: 3 }),
  });
  assert.equal(scheduled.status, 200, await scheduled.clone().text());
  try {
    await waitFor("the receiver to hold an alert", () => hanging!.requests() >= 1);
  } finally {
    rmSync(backupDir);
    renameSync(`${backupDir}.away`, backupDir);
  }
  // Then successful runs, each copied offsite: wait until a copy is uploading while a run copies.
  const uploading = () =>
    readdirSync(backupDir)
      .filter((file) => file.endsWith(".offsite.json"))
      .some((file) => {
        try {
          return (
            (JSON.parse(readFileSync(path.join(backupDir, file), "utf8")) as { status: string }).status === "uploading"
          );
        } catch {
          return false; // being replaced
        }
      });
  const running = async () => {
    const response = await api("/api/admin/backups");
    return ((await response.json()) as { schedule: { running: boolean } }).schedule.running;
  };
  await waitFor("an offsite upload during a scheduled snapshot", async () => uploading() && (await running()));

  const signalled = Date.now();
  const code = await server.stop("SIGTERM");
  const tookMs = Date.now() - signalled;
  assert.equal(code, 0, `exit code\n${server.output().slice(-3000)}`);
  assert.ok(tookMs < 10_000, `stopped in ${tookMs} ms`);

  // Every backup under a final name is complete: its manifest's hash is its bytes'.
  const files = readdirSync(backupDir).filter((file) => file.endsWith(".db"));
  assert.ok(files.length >= 1);
  for (const file of files) {
    const manifestFile = path.join(backupDir, `${file}.json`);
    assert.ok(existsSync(manifestFile), `${file} has its manifest`);
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { sha256: string | null };
    assert.equal(await sha256Of(path.join(backupDir, file)), manifest.sha256, `${file}: whole`);
  }
  // Every object offsite is a whole backup: an upload cut short left nothing under its key.
  const hashes = new Map<string, string>();
  for (const file of files) hashes.set(file, await sha256Of(path.join(backupDir, file)));
  for (const key of s3.keys(PREFIX)) {
    const name = path.basename(key);
    const objectHash = await sha256Of(s3.objectFile(key));
    if (hashes.has(name)) assert.equal(objectHash, hashes.get(name), `${key}: the whole backup`);
    else assert.equal(integrityOf(s3.objectFile(key)), "ok", `${key}: a whole database (its local copy was retired)`);
  }
  assert.equal(integrityOf(path.join(dataDir, "opstage.db")), "ok");
  assert.match(server.output(), /SIGTERM: stopping the services/);
});
