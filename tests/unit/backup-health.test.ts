// The backup health rules (ok / retrying / overdue / failing / unknown), the schedule's interval, the alert
// payload presets and the monitoring settings, on plain values.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { webhookRequest, signatureOf } from "../../lib/alerts/webhook";
import { alertEvent } from "../../lib/alerts/events";
import { validateChannel } from "../../lib/alerts/channels";
import type { BackupEntry } from "../../lib/backup/catalog";
import { backupsRow, offsiteRow, replicationRow, worstState } from "../../lib/system/backup-health";
import type { ReplicationStatus } from "../../lib/replication/status";
import { ConfigError, parseConfig } from "../../lib/config";
import { cronIntervalMs } from "../../lib/cron";

const NOW = new Date("2026-11-27T12:00:00Z");
const HOUR = 3_600_000;

function backup(name: string, hoursAgo: number, extra: Partial<BackupEntry> = {}): BackupEntry {
  return {
    name,
    kind: "scheduled",
    createdAt: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString(),
    bytes: 4096,
    sha256: "a".repeat(64),
    databaseBytes: 4096,
    appVersion: "0.1.0",
    lastMigration: null,
    actorLabel: "schedule",
    verification: null,
    ...extra,
  };
}

const daily = { cron: "0 3 * * *", intervalMs: 24 * HOUR, lastRun: null };
const restorable = {
  at: NOW.toISOString(),
  how: "after-backup" as const,
  state: "restorable" as const,
  restorable: true,
  detail: "ok",
};
const proven = (name: string, hoursAgo: number, extra: Partial<BackupEntry> = {}) =>
  backup(name, hoursAgo, { verification: restorable, ...extra });

describe("backup health", () => {
  test("ok while the newest verified backup is younger than twice the interval", () => {
    const { row, lastGood } = backupsRow([proven("a.db", 47)], daily, NOW);
    assert.equal(row.state, "ok");
    assert.equal(lastGood?.name, "a.db");
  });

  test("the last good backup is the newest verified one, never one not verified yet", () => {
    const { row, lastGood } = backupsRow([backup("new.db", 1), proven("old.db", 2)], daily, NOW);
    assert.equal(lastGood?.name, "old.db");
    assert.equal(row.state, "ok");
    const none = backupsRow([backup("new.db", 1)], daily, NOW);
    assert.equal(none.lastGood, null);
    assert.equal(none.row.state, "unknown");
    assert.match(none.row.detail, /none verified yet/);
  });

  test("overdue past twice the interval", () => {
    const { row } = backupsRow([proven("a.db", 49)], daily, NOW);
    assert.equal(row.state, "overdue");
    assert.match(row.detail, /more than twice the schedule's interval/);
  });

  test("failing when the last scheduled run failed, whatever the age", () => {
    const lastRun = { at: NOW.toISOString(), ok: false, error: "ENOSPC" };
    const { row } = backupsRow([proven("a.db", 1)], { ...daily, lastRun }, NOW);
    assert.equal(row.state, "failing");
    assert.match(row.detail, /ENOSPC/);
  });

  test("a backup found bad does not count; an external one counts once verified restorable", () => {
    const bad = backup("new.db", 1, {
      verification: { at: NOW.toISOString(), state: "corrupt", restorable: false, detail: "corrupt" },
    });
    const old = proven("old.db", 60);
    assert.equal(backupsRow([bad, old], daily, NOW).lastGood?.name, "old.db");
    assert.equal(backupsRow([bad, old], daily, NOW).row.state, "overdue");
    const external = backup("copied.db", 1, { kind: "external" });
    assert.equal(backupsRow([external], daily, NOW).row.state, "unknown");
    assert.equal(backupsRow([{ ...external, verification: restorable }], daily, NOW).row.state, "ok");
  });

  test("without a schedule nothing is overdue; without a backup the state is unknown", () => {
    const off = { cron: null, intervalMs: null, lastRun: null };
    assert.equal(backupsRow([proven("a.db", 24 * 365)], off, NOW).row.state, "ok");
    assert.equal(backupsRow([], daily, NOW).row.state, "unknown");
  });

  test("a new install is unknown overall, never ok beside another source that is ok", () => {
    const { row } = backupsRow([], daily, NOW);
    assert.equal(worstState([row.state, "ok"]), "unknown");
  });

  test("the overall state is the worst row; unknown outranks ok", () => {
    assert.equal(worstState(["ok", "unknown"]), "unknown");
    assert.equal(worstState(["ok", "retrying"]), "retrying");
    assert.equal(worstState(["ok", "overdue", "failing"]), "failing");
    assert.equal(worstState([]), "unknown");
  });

  test("offsite: failing while a copy failed for good and no later copy succeeded, even if a newer one retries", () => {
    const at = NOW.toISOString();
    const retrying = { status: "pending" as const, at, attempts: 2, error: "refused", nextAttemptAt: at };
    const failed = { status: "failed" as const, at, attempts: 8, error: "refused" };
    const done = { status: "done" as const, at, attempts: 1 };
    const row = offsiteRow([
      { name: "b.db", state: retrying },
      { name: "a.db", state: failed },
    ]);
    assert.equal(row.state, "failing");
    assert.match(row.detail, /a\.db failed after 8 attempts: refused/);
    assert.equal(
      offsiteRow([
        { name: "b.db", state: done },
        { name: "a.db", state: failed },
      ]).state,
      "ok",
    );
    const onlyRetrying = offsiteRow([
      { name: "b.db", state: retrying },
      { name: "a.db", state: done },
    ]);
    assert.equal(onlyRetrying.state, "retrying");
    assert.match(onlyRetrying.detail, /attempt 2 of 8, next at/);
    assert.equal(offsiteRow([{ name: "a.db", state: null }]).state, "unknown");
  });

  test("a schedule's interval is its longest gap", () => {
    assert.equal(cronIntervalMs("0 3 * * *", NOW), 24 * HOUR);
    assert.equal(cronIntervalMs("* * * * * *", NOW), 1000);
    assert.equal(cronIntervalMs("0 3 * * 1-5", NOW), 3 * 24 * HOUR, "Friday to Monday");
  });
});

describe("alert payloads", () => {
  const event = alertEvent("backup.scheduled.failed", "A scheduled backup failed", "disk full", { error: "ENOSPC" });

  test("generic JSON, Slack's { text } and ntfy's JSON publish to the server root", () => {
    const generic = JSON.parse(
      webhookRequest({ url: "https://example.test/hook", preset: "generic" }, event, null).body,
    ) as Record<string, unknown>;
    assert.equal(generic.event, "backup.scheduled.failed");
    assert.equal(generic.severity, "error");
    assert.deepEqual(generic.details, { error: "ENOSPC" });

    const slack = webhookRequest({ url: "https://hooks.slack.test/services/x", preset: "slack" }, event, null);
    assert.deepEqual(Object.keys(JSON.parse(slack.body) as object), ["text"]);

    const ntfy = webhookRequest({ url: "https://ntfy.test/ops-alerts", preset: "ntfy" }, event, null);
    assert.equal(ntfy.url, "https://ntfy.test/");
    const body = JSON.parse(ntfy.body) as Record<string, unknown>;
    assert.equal(body.topic, "ops-alerts");
    assert.equal(body.priority, 5);
  });

  test("the signature is HMAC-SHA256 of the exact body", () => {
    assert.equal(signatureOf("{}", "key"), `sha256=${createHmac("sha256", "key").update("{}").digest("hex")}`);
  });

  test("a channel with a bad setting is refused with what to fix", () => {
    const base = { name: "x", enabled: true, events: ["backup.overdue"] };
    assert.throws(
      () => validateChannel({ ...base, type: "webhook", config: { url: "ftp://x", preset: "generic" } }),
      /webhook URL must be an http\(s\) URL/,
    );
    assert.throws(
      () =>
        validateChannel({
          ...base,
          type: "email",
          config: { host: "smtp.test", port: 25, security: "none", username: "", from: "me", to: ["a@b.test"] },
        }),
      /must be an email address/,
    );
    assert.throws(() => validateChannel({ ...base, events: [], type: "webhook", config: {} }), /at least one event/);
  });
});

describe("monitoring settings", () => {
  const SECRET = "s".repeat(32);
  test("defaults, and a metrics token too short to be safe is refused", () => {
    const { monitoring } = parseConfig({ OPSTAGE_SESSION_SECRET: SECRET });
    assert.deepEqual(monitoring, {
      alertRetryFirstDelayMs: 5000,
      healthCheckIntervalMs: 60_000,
      reverifyIntervalMs: 24 * HOUR,
      metricsToken: undefined,
      allowPrivateAlertTargets: false,
      heartbeatUrl: undefined,
    });
    assert.throws(
      () => parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_METRICS_TOKEN: "short" }),
      (error: Error) => error instanceof ConfigError && /OPSTAGE_METRICS_TOKEN must be at least 16/.test(error.message),
    );
  });
});

describe("the replication row", () => {
  const base = {
    enabled: true,
    replicaLabel: "sftp://backup@10.0.0.5:22/opstage",
    running: true,
    setupError: null,
    lastError: null,
    replicaError: null,
    lastSync: new Date(NOW.getTime() - 90_000).toISOString(),
  };
  const status = (extra: Partial<ReplicationStatus>) => ({ ...base, ...extra }) as ReplicationStatus;

  test("ok while Litestream uploads, with the last upload's age", () => {
    const row = replicationRow(status({ state: "ok" }), NOW);
    assert.equal(row.state, "ok");
    assert.equal(row.source, "replication");
    assert.match(row.detail, /Replicating to sftp:\/\/backup@10\.0\.0\.5:22\/opstage; last upload 2 min ago/);
  });

  test("failing with Litestream's error, which makes the whole health failing", () => {
    const lastError = { at: NOW.toISOString(), level: "error" as const, message: "ssh: handshake failed: EOF" };
    const row = replicationRow(status({ state: "error", lastError }), NOW);
    assert.equal(row.state, "failing");
    assert.match(row.detail, /is failing: ssh: handshake failed: EOF\. See Settings → Replication\./);
    assert.equal(worstState(["ok", row.state]), "failing");
  });

  test("unknown while Litestream starts", () => {
    assert.equal(replicationRow(status({ state: "starting" }), NOW).state, "unknown");
  });
});
