// A backup's proof that cannot run for a reason outside the backup — its folder on a real tmpfs
// that is full — is audited and alerted as such (backup.verify.error), distinct from a bad backup,
// and the backup stays "not verified" until there is room. A proof queued for a backup deleted
// meanwhile (retention) is nothing at all: no audit row, no manifest written back. Real SQLite
// files, the real Prisma client and a real webhook receiver on 127.0.0.1. Needs root (mount).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { startWebhookReceiver, type WebhookReceiver } from "../support/alert-receivers";
import { shippedMigrationsDir } from "../support/migrations";
import { TEST_SECRET } from "../support/server";
import { tempDir } from "../support/temp";

const dataDir = tempDir();
const backupDir = path.join(dataDir, "backups");
const databasePath = path.join(dataDir, "opstage.db");
const ACTOR = { type: "SYSTEM" as const, id: "test", label: "test" };
let receiver: WebhookReceiver;

before(async () => {
  execFileSync("mkdir", ["-p", backupDir]);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", backupDir]);
  receiver = await startWebhookReceiver();
  const db = openDatabase(databasePath);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  db.prepare(
    `INSERT INTO "AlertChannel" (id, name, type, enabled, configJson, secret, eventsJson, updatedAt)
     VALUES ('hook', 'hook', 'webhook', 1, ?, 'key', '["backup.verify.error","backup.verify.failed"]', CURRENT_TIMESTAMP)`,
  ).run(JSON.stringify({ url: receiver.url, preset: "generic" }));
  db.close();
  // The modules below read their configuration from the environment on first use.
  Object.assign(process.env, {
    OPSTAGE_DATA_DIR: dataDir,
    OPSTAGE_SESSION_SECRET: TEST_SECRET,
    OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS: "50",
    // The receiver listens on 127.0.0.1 (lib/alerts/target-address.ts refuses it by default).
    OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: "true",
  });
});

after(async () => {
  await receiver?.close();
  execFileSync("umount", ["--lazy", backupDir]);
});

function auditRows(action: string): { targetId: string; result: string; message: string; metadataJson: string }[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db
      .prepare(`SELECT targetId, result, message, metadataJson FROM "AuditEvent" WHERE action = ? ORDER BY id`)
      .all(action) as never;
  } finally {
    db.close();
  }
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a backup's proof", () => {
  test("on a full disk: an audit row and an alert that say so, not a verdict on the backup", async () => {
    const { createBackup } = await import("../../lib/backup/create");
    const { readManifest } = await import("../../lib/backup/manifest");
    const { backupProofsSettled, queueBackupProof } = await import("../../lib/backup/proof");
    const backup = await createBackup({ databasePath, backupDir, kind: "manual", actor: ACTOR });
    const stats = statfsSync(backupDir);
    const filler = path.join(backupDir, "filler");
    writeFileSync(filler, Buffer.alloc(Number(stats.bavail) * Number(stats.bsize)));

    queueBackupProof({ backupDir, name: backup.name, how: "after-backup" });
    await backupProofsSettled();

    const [row] = auditRows("backup.verify.error");
    assert.ok(row, "an audit row for the proof that could not run");
    assert.equal(row.targetId, backup.name);
    assert.equal(row.result, "FAILURE");
    assert.match(row.message, /disk is full.*says nothing about the backup itself/);
    assert.equal(JSON.parse(row.metadataJson).code, "ENOSPC");
    assert.deepEqual(auditRows("backup.verified"), [], "no verdict on the backup");
    assert.equal(readManifest(backupDir, backup.name)?.verification, undefined, "still not verified");
    const alert = await until("the alert", () =>
      receiver.received.find((hit) => hit.json.event === "backup.verify.error"),
    );
    assert.match(String(alert.json.title), /could not be verified: the backup folder's disk is full/);
    assert.equal(
      receiver.received.some((hit) => hit.json.event === "backup.verify.failed"),
      false,
      "not alerted as a bad backup",
    );

    // Room again: the proof runs and records its verdict.
    rmSync(filler);
    queueBackupProof({ backupDir, name: backup.name, how: "after-backup" });
    await backupProofsSettled();
    assert.equal(readManifest(backupDir, backup.name)?.verification?.state, "restorable");
  });

  test("for a backup deleted before its turn: nothing happens, and nothing is written back", async () => {
    const { createBackup } = await import("../../lib/backup/create");
    const { deleteBackup } = await import("../../lib/backup/catalog");
    const { manifestPath } = await import("../../lib/backup/manifest");
    const { backupProofsSettled, queueBackupProof } = await import("../../lib/backup/proof");
    const { logger } = await import("../../lib/log");
    const backup = await createBackup({ databasePath, backupDir, kind: "scheduled", actor: ACTOR });
    const errors: string[] = [];
    const log = logger();
    const original = log.error.bind(log);
    log.error = ((...args: Parameters<typeof original>) => {
      errors.push(JSON.stringify(args));
      return original(...args);
    }) as typeof log.error;
    const verifiedBefore = auditRows("backup.verified").length;
    const errorsBefore = auditRows("backup.verify.error").length;
    queueBackupProof({ backupDir, name: backup.name, how: "after-backup" });
    deleteBackup(backupDir, backup.name); // retention, before the lane reaches it
    await backupProofsSettled();
    assert.equal(auditRows("backup.verified").length, verifiedBefore);
    assert.equal(auditRows("backup.verify.error").length, errorsBefore);
    assert.equal(existsSync(manifestPath(backupDir, backup.name)), false, "no manifest written back");
    log.error = original;
    assert.deepEqual(
      errors.filter((line) => line.includes(backup.name)),
      [],
      "nothing logged as an error",
    );
  });
});
