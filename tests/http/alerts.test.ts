// Alerts, health and metrics against the built server, with real receivers (a webhook endpoint
// and an SMTP server on 127.0.0.1) and real failures: the backup folder replaced by a file, so
// that every scheduled run fails until it is put back.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import {
  startHangingReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  type HangingReceiver,
  type SmtpReceiver,
  type WebhookReceiver,
} from "../support/alert-receivers";
import { queryOne } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const SIGNING_KEY = "whsec-test-signing-key";
const METRICS_TOKEN = "metrics-token-0123456789";

type Instance = { server: RunningServer; dataDir: string; dbFile: string; backupDir: string; cookie: string };

async function startInstance(env: Record<string, string> = {}): Promise<Instance> {
  const dataDir = tempDir();
  const server = await startServer({
    dataDir,
    env: {
      OPSTAGE_ADMIN_USERNAME: OWNER.username,
      OPSTAGE_ADMIN_PASSWORD: OWNER.password,
      OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS: "50",
      ...env,
    },
  });
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  return {
    server,
    dataDir,
    dbFile: path.join(dataDir, "opstage.db"),
    backupDir: path.join(dataDir, "backups"),
    cookie,
  };
}

function api(instance: Instance, pathname: string, init: RequestInit & { bearer?: string; anonymous?: boolean } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.bearer) headers.Authorization = `Bearer ${init.bearer}`;
  else if (!init.anonymous) headers.Cookie = instance.cookie;
  if (init.body) headers["Content-Type"] = "application/json";
  return fetch(`${instance.server.url}${pathname}`, { ...init, headers });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const body = await response.text();
  assert.equal(response.status, status, body);
  return JSON.parse(body) as T;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function auditCount(instance: Instance, action: string, where = "1 = 1"): number {
  return queryOne<{ n: number }>(
    instance.dbFile,
    `SELECT COUNT(*) AS n FROM AuditEvent WHERE action = ? AND ${where}`,
    action,
  ).n;
}
const SCHEDULED = `json_extract(metadataJson, '$.kind') = 'scheduled'`;

async function addChannel(instance: Instance, body: Record<string, unknown>): Promise<{ id: string }> {
  return json(await api(instance, "/api/admin/alerts", { method: "POST", body: JSON.stringify(body) }), 201);
}

async function setSchedule(instance: Instance, cron: string | null) {
  await json(
    await api(instance, "/api/admin/backup-schedule", { method: "PUT", body: JSON.stringify({ cron, keep: 3 }) }),
  );
}

type Overview = {
  backups: {
    name: string;
    kind: string;
    bytes: number;
    createdAt: string;
    verification: { how?: string; state: string } | null;
  }[];
  schedule: { running: boolean; lastRun: { ok: boolean; at: string } | null };
};
const overview = async (instance: Instance) => json<Overview>(await api(instance, "/api/admin/backups"));

/** The backup folder replaced by a file: every backup fails (root ignores permissions, not this). */
function breakBackupFolder(instance: Instance) {
  renameSync(instance.backupDir, `${instance.backupDir}.away`);
  writeFileSync(instance.backupDir, "not a folder\n");
}
function repairBackupFolder(instance: Instance) {
  rmSync(instance.backupDir);
  renameSync(`${instance.backupDir}.away`, instance.backupDir);
}

async function stopSchedule(instance: Instance) {
  await setSchedule(instance, null);
  await waitFor("the last scheduled run to finish", async () => !(await overview(instance)).schedule.running);
}

describe("alerts for scheduled backups", () => {
  let instance: Instance;
  let webhook: WebhookReceiver;
  let smtp: SmtpReceiver;

  before(async () => {
    [webhook, smtp] = await Promise.all([startWebhookReceiver(), startSmtpReceiver()]);
    instance = await startInstance({ OPSTAGE_METRICS_TOKEN: METRICS_TOKEN });
  });
  after(async () => {
    await instance.server.stop();
    await Promise.all([webhook.close(), smtp.close()]);
  });

  test("one alert per failing run on each channel, nothing while runs succeed, one recovery notice", async () => {
    const events = ["backup.scheduled.failed", "backup.scheduled.recovered"];
    await addChannel(instance, {
      type: "webhook",
      name: "hook",
      events,
      config: { url: `${webhook.url}/alerts`, preset: "generic" },
      secret: SIGNING_KEY,
    });
    await addChannel(instance, {
      type: "email",
      name: "mail",
      events,
      config: {
        host: "127.0.0.1",
        port: smtp.port,
        security: "none",
        username: "",
        from: "opstage@example.test",
        to: ["ops@example.test"],
      },
    });
    // The secret is write-only.
    const listed = await json<{ channels: Record<string, unknown>[] }>(await api(instance, "/api/admin/alerts"));
    assert.equal(listed.channels[0]!.secretSet, true);
    assert.ok(!JSON.stringify(listed).includes(SIGNING_KEY), "the signing key is never sent back");

    await setSchedule(instance, "* * * * * *"); // every second
    await waitFor("two successful scheduled runs", () => auditCount(instance, "backup.sqlite.created", SCHEDULED) >= 2);
    breakBackupFolder(instance);
    try {
      await waitFor("three failed scheduled runs", () => auditCount(instance, "backup.sqlite.failed", SCHEDULED) >= 3);
    } finally {
      repairBackupFolder(instance);
    }
    const failedBefore = auditCount(instance, "backup.sqlite.failed", SCHEDULED);
    await waitFor("a successful run after the failures", async () => {
      const { schedule } = await overview(instance);
      return auditCount(instance, "backup.sqlite.failed", SCHEDULED) >= failedBefore && schedule.lastRun?.ok === true;
    });
    await stopSchedule(instance);

    const failures = auditCount(instance, "backup.sqlite.failed", SCHEDULED);
    const successes = auditCount(instance, "backup.sqlite.created", SCHEDULED);
    // Every delivery audited once it is made: then the receivers have had them all.
    await waitFor("every delivery", () => auditCount(instance, "alert.delivered") === 2 * (failures + 1));
    const hooks = webhook.received;
    assert.equal(hooks.filter((h) => h.json.event === "backup.scheduled.failed").length, failures);
    assert.equal(hooks.filter((h) => h.json.event === "backup.scheduled.recovered").length, 1);
    assert.equal(hooks.length, failures + 1, `nothing for the ${successes} runs that succeeded`);
    const mails = smtp.received;
    assert.equal(mails.filter((m) => m.subject === "[Opstage] A scheduled backup failed").length, failures);
    assert.equal(mails.filter((m) => m.subject === "[Opstage] Scheduled backups work again").length, 1);
    assert.equal(mails.length, failures + 1);
    assert.deepEqual(mails[0]!.to, ["ops@example.test"]);
    // The recovery notice comes after every failure notice.
    assert.equal(hooks.at(-1)!.json.event, "backup.scheduled.recovered");

    for (const hook of hooks) {
      const expected = `sha256=${createHmac("sha256", SIGNING_KEY).update(hook.body).digest("hex")}`;
      assert.equal(hook.headers["x-opstage-signature"], expected, "signed with the channel's key");
    }
    const failed = hooks.find((h) => h.json.event === "backup.scheduled.failed")!;
    assert.equal(failed.json.severity, "error");
    assert.match(String(failed.json.message), /failed: .+/);

    // The metrics agree with the audit log and the folder.
    const metrics = await scrape(instance, METRICS_TOKEN);
    assert.equal(sample(metrics, "opstage_backup_failures_total", { kind: "scheduled" }), failures);
    const { backups } = await overview(instance);
    const newestScheduled = backups.find((b) => b.kind === "scheduled")!;
    assert.equal(
      sample(metrics, "opstage_backup_last_timestamp_seconds", { kind: "scheduled" }),
      new Date(newestScheduled.createdAt).getTime() / 1000,
    );
    assert.equal(sample(metrics, "opstage_backups_stored", { kind: "scheduled" }), 3, "retention keeps 3");
    assert.equal(sample(metrics, "opstage_backup_health", { source: "backups", state: "ok" }), 1);
  });
});

describe("an alert receiver that never answers", () => {
  let instance: Instance;
  let hanging: HangingReceiver;

  before(async () => {
    hanging = await startHangingReceiver();
    instance = await startInstance();
  });
  after(async () => {
    await instance.server.stop();
    await hanging.close();
  });

  test("holds up neither the scheduled runs nor a backup made meanwhile", async () => {
    await addChannel(instance, {
      type: "webhook",
      name: "black hole",
      events: ["backup.scheduled.failed"],
      config: { url: hanging.url, preset: "slack" },
    });
    breakBackupFolder(instance);
    try {
      await setSchedule(instance, "* * * * * *");
      await waitFor("the receiver to be holding an alert", () => hanging.requests() >= 1);
      const heldAt = hanging.requests();
      const failuresThen = auditCount(instance, "backup.sqlite.failed", SCHEDULED);
      await waitFor(
        "two more failed runs while the receiver holds its alerts",
        () => auditCount(instance, "backup.sqlite.failed", SCHEDULED) >= failuresThen + 2,
      );
      assert.ok(hanging.requests() >= heldAt, "no alert was answered");
      await stopSchedule(instance);
    } finally {
      repairBackupFolder(instance);
    }
    // A backup made while alerts are still held is stored at once.
    assert.equal(auditCount(instance, "alert.delivered"), 0, "the receiver answered nothing");
    const made = await json<{ name: string }>(await api(instance, "/api/admin/backups", { method: "POST" }), 201);
    assert.ok((await overview(instance)).backups.some((b) => b.name === made.name));
    assert.equal(auditCount(instance, "alert.delivered"), 0, "the alerts were still held meanwhile");
  });
});

type Families = ReturnType<typeof parsePrometheusTextFormat>;

async function scrape(instance: Instance, bearer: string): Promise<Families> {
  const response = await api(instance, "/api/metrics", { bearer });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(text);
}

function sample(families: Families, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const match = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return match ? Number(match.value) : undefined;
}

describe("metrics, health and proofs", () => {
  let instance: Instance;
  let webhook: WebhookReceiver;

  before(async () => {
    webhook = await startWebhookReceiver();
    instance = await startInstance({
      OPSTAGE_METRICS_TOKEN: METRICS_TOKEN,
      // Re-check the newest backup once its proof is 2 s old; look every second.
      OPSTAGE_BACKUP_REVERIFY_HOURS: String(2 / 3600),
      OPSTAGE_BACKUP_HEALTH_CHECK_SECONDS: "1",
    });
  });
  after(async () => {
    await instance.server.stop();
    await webhook.close();
  });

  test("/api/metrics needs a token, parses, and its figures match the backups made", async () => {
    assert.equal((await api(instance, "/api/metrics", { anonymous: true })).status, 401);
    assert.equal((await api(instance, "/api/metrics", { bearer: "not-the-metrics-token" })).status, 401);
    for (let i = 0; i < 2; i++) await json(await api(instance, "/api/admin/backups", { method: "POST" }), 201);
    const { backups } = await overview(instance);
    const manual = backups.filter((b) => b.kind === "manual");
    assert.equal(manual.length, 2);
    const manifest = JSON.parse(readFileSync(path.join(instance.backupDir, `${manual[0]!.name}.json`), "utf8")) as {
      durationMs: number;
      snapshotMethod: string;
    };

    const families = await scrape(instance, METRICS_TOKEN);
    assert.equal(sample(families, "opstage_backups_stored", { kind: "manual" }), 2);
    assert.equal(
      sample(families, "opstage_backup_last_timestamp_seconds", { kind: "manual" }),
      new Date(manual[0]!.createdAt).getTime() / 1000,
    );
    assert.equal(sample(families, "opstage_backup_last_size_bytes", { kind: "manual" }), manual[0]!.bytes);
    assert.equal(
      sample(families, "opstage_backup_last_duration_seconds", { kind: "manual" }),
      manifest.durationMs / 1000,
    );
    assert.equal(
      sample(families, "opstage_backup_last_snapshot_method", { kind: "manual", method: manifest.snapshotMethod }),
      1,
    );
    assert.equal(sample(families, "opstage_backup_failures_total", { kind: "manual" }), 0);
    assert.equal(sample(families, "opstage_migrations_pending"), 0);
    assert.ok((sample(families, "opstage_database_bytes") ?? 0) > 0);
    assert.notEqual(sample(families, "opstage_database_wal_bytes"), undefined);
    assert.equal(sample(families, "opstage_restores_total"), 0);
    assert.equal(sample(families, "opstage_upgrades_total"), 0);
    assert.notEqual(sample(families, "nodejs_eventloop_lag_seconds"), undefined, "event loop lag");

    // An owner's API token reads it too.
    const token = await json<{ token: string }>(
      await api(instance, "/api/admin/tokens", { method: "POST", body: JSON.stringify({ name: "prometheus" }) }),
      201,
    );
    assert.equal(sample(await scrape(instance, token.token), "opstage_backups_stored", { kind: "manual" }), 2);

    // /api/health: healthy, with the backups detail beside it, once the newest backup is proven
    // (a backup not verified yet is not known to be good).
    for (let deadline = Date.now() + 15_000; ;) {
      const newest = (await overview(instance)).backups.find((b) => b.name === manual[0]!.name);
      if (newest?.verification) break;
      if (Date.now() > deadline) throw new Error(`${manual[0]!.name} was not verified in 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const health = await json<{
      status: string;
      details: { backups: { state: string; lastGoodAt: string; sources: object } };
    }>(await fetch(`${instance.server.url}/api/health`));
    assert.equal(health.status, "ok");
    assert.deepEqual(health.details.backups, {
      state: "ok",
      lastGoodAt: manual[0]!.createdAt,
      sources: { backups: "ok" },
    });
  });

  test("each backup is verified after it is stored; the newest is re-checked and a bad one raises an alert", async () => {
    await addChannel(instance, {
      type: "webhook",
      name: "hook",
      events: ["backup.verify.failed"],
      config: { url: webhook.url, preset: "generic" },
    });
    const made = await json<{ name: string }>(await api(instance, "/api/admin/backups", { method: "POST" }), 201);
    const proofOf = async () => (await overview(instance)).backups.find((b) => b.name === made.name)?.verification;
    await waitFor("the after-backup verification", async () => (await proofOf())?.how === "after-backup");
    assert.equal((await proofOf())!.state, "restorable");
    await waitFor("the periodic re-check", async () => (await proofOf())?.how === "re-check");

    // A byte changed on the host: the next re-check finds it and tells the channel.
    const file = path.join(instance.backupDir, made.name);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(file, bytes);
    await waitFor("the bad backup's alert", () =>
      webhook.received.some((h) => h.json.event === "backup.verify.failed"),
    );
    const alert = webhook.received.find((h) => h.json.event === "backup.verify.failed")!;
    assert.equal((alert.json.details as { backup: string }).backup, made.name);
    assert.equal((await proofOf())!.state, "modified");
    assert.equal(
      webhook.received.filter((h) => h.json.event === "backup.verify.failed").length,
      1,
      "a backup found bad is no longer the newest good one: it is not re-checked again and again",
    );
  });
});
