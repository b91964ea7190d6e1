// A scheduled backup of an unchanged database is not uploaded again, against the built server and
// a real S3 server (s3rver on 127.0.0.1), the copies encrypted: unchanged runs share the first
// run's object (their states done and naming it), a user created between two runs is uploaded,
// deleting the backup the object was uploaded from keeps the object, and offsite retention
// (keep 1) keeps an object while a local backup's state shares it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { waitFor } from "../support/replication";
import { startS3Server, type S3TestServer } from "../support/s3-server";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const PREFIX = "shared-copies";

type CopyState = { status: string; key?: string; shared?: { from: string; sameAs: string } };

let s3: S3TestServer;
let server: RunningServer;
let dataDir: string;
let backupDir: string;
let cookie: string;

async function api(pathname: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { Cookie: cookie };
  if (init.body) headers["Content-Type"] = "application/json";
  return fetch(`${server.url}${pathname}`, { ...init, headers });
}

async function setSchedule(cron: string | null): Promise<void> {
  const answer = await api("/api/admin/backup-schedule", { method: "PUT", body: JSON.stringify({ cron, keep: 20 }) });
  assert.equal(answer.status, 200, await answer.text());
}

/** The scheduled backups in the folder, oldest first, with their offsite states (read from disk). */
function scheduledBackups(): { name: string; state: CopyState | null }[] {
  return readdirSync(backupDir)
    .filter((file) => {
      if (!file.endsWith(".db")) return false;
      const manifest = path.join(backupDir, `${file}.json`);
      return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).kind === "scheduled";
    })
    .sort()
    .map((name) => {
      const stateFile = path.join(backupDir, `${name}.offsite.json`);
      let state: CopyState | null = null;
      try {
        state = JSON.parse(readFileSync(stateFile, "utf8")) as CopyState;
      } catch {
        // not written yet, or being replaced
      }
      return { name, state };
    });
}

/** The backup objects in the bucket (not their manifests). */
const objects = () => s3.keys(PREFIX).filter((key) => key.endsWith(".db.age"));

function auditCount(action: string): number {
  const db = new Database(path.join(dataDir, "opstage.db"), { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM "AuditEvent" WHERE action = ?`).get(action) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Runs the schedule (every second) until `count` more scheduled backups have settled copies. */
async function scheduledRuns(count: number): Promise<{ name: string; state: CopyState | null }[]> {
  const before = scheduledBackups().length;
  await setSchedule("* * * * * *");
  try {
    await waitFor(`${count} scheduled runs`, () => scheduledBackups().length >= before + count, 60_000);
  } finally {
    await setSchedule(null);
  }
  // A run under way as the schedule was turned off still ends, and its copy with it.
  return waitFor(
    "every scheduled copy done",
    () => {
      const all = scheduledBackups();
      return all.every((backup) => backup.state?.status === "done") ? all : undefined;
    },
    60_000,
    () => JSON.stringify(scheduledBackups()),
  );
}

before(async () => {
  s3 = await startS3Server();
  const recipient = await identityToRecipient(await generateIdentity());
  dataDir = tempDir();
  backupDir = path.join(dataDir, "backups");
  server = await startServer({
    dataDir,
    env: {
      ...s3.env(PREFIX),
      OPSTAGE_OFFSITE_AGE_RECIPIENT: recipient,
      OPSTAGE_OFFSITE_KINDS: "scheduled",
      OPSTAGE_OFFSITE_KEEP: "1",
      OPSTAGE_ADMIN_USERNAME: OWNER.username,
      OPSTAGE_ADMIN_PASSWORD: OWNER.password,
    },
  });
  cookie = await signIn(server.url, OWNER.username, OWNER.password);
});

after(async () => {
  await server?.stop();
  await s3?.stop();
});

test("unchanged scheduled runs upload one object; a new user is uploaded; a shared object outlives its backup and retention", async () => {
  // Three runs (or more: the schedule may start one more as it is turned off), nothing changed.
  const runs = await scheduledRuns(3);
  const [first, ...later] = runs;
  assert.ok(later.length >= 2, JSON.stringify(runs));
  const decisions = () =>
    server
      .output()
      .match(/offsite copy of .*/g)
      ?.join("\n") ?? "";
  assert.deepEqual(objects(), [first!.state!.key], `one object in the bucket: the first run's\n${decisions()}`);
  assert.equal(first!.state!.shared, undefined, "the first run uploaded");
  for (const backup of later) {
    assert.equal(backup.state!.key, first!.state!.key, `${backup.name} names the first run's object`);
    assert.deepEqual(backup.state!.shared, { from: first!.name, sameAs: "data" });
  }
  // Audited just after the state is written.
  await waitFor("every shared copy audited", () => auditCount("backup.offsite.reused") === later.length);
  assert.equal(auditCount("backup.offsite.copied"), 1);

  // The console's list and `opstage list` say it.
  const listed = (await (await api("/api/admin/backups")).json()) as {
    backups: { name: string; offsite: CopyState | null }[];
  };
  const second = listed.backups.find((entry) => entry.name === later[0]!.name)!;
  assert.equal(second.offsite?.status, "done");
  const cli = runCli(dataDir, ["list"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(
    cli.stdout,
    new RegExp(`${later[0]!.name}.*offsite: done \\(encrypted, same data as ${first!.name}; not uploaded again\\)`),
  );

  // The backup the object was uploaded from deleted locally: the object stays, the others still done.
  const removed = await api(`/api/admin/backups/${encodeURIComponent(first!.name)}`, { method: "DELETE" });
  assert.equal(removed.status, 200, await removed.text());
  assert.ok(objects().includes(first!.state!.key!), "the shared object outlives the backup it came from");
  const after = (await (await api("/api/admin/backups")).json()) as {
    backups: { name: string; offsite: CopyState | null }[];
  };
  assert.equal(after.backups.find((entry) => entry.name === later[0]!.name)?.offsite?.status, "done");

  // A user created between two runs: the next run is uploaded. Retention (keep 1) then deletes
  // nothing the remaining backups share.
  const made = await api("/api/admin/users", {
    method: "POST",
    body: JSON.stringify({ username: "between-runs", role: "viewer", password: "viewer-password-123" }),
  });
  assert.equal(made.status, 201, await made.text());
  const afterUser = (await scheduledRuns(1)).filter((backup) => !runs.some((run) => run.name === backup.name));
  const uploaded = afterUser[0]!;
  assert.equal(uploaded.state!.shared, undefined, `${uploaded.name} uploaded: ${JSON.stringify(uploaded.state)}`);
  assert.notEqual(uploaded.state!.key, first!.state!.key);
  await waitFor("retention after the new copy", () =>
    server.output().includes(`offsite retention kept ${path.basename(first!.state!.key!)}: shared by newer backups`),
  );
  assert.equal(auditCount("backup.offsite.deleted"), 0);
  assert.deepEqual(
    objects().sort(),
    [first!.state!.key!, uploaded.state!.key!].sort(),
    "two objects: the shared one is kept past keep=1",
  );
});
