// Opstage databases with known contents and known differences, for browse and compare tests:
// every secret column holds a value the tests then look for in every answer (it must never be
// there).
import { copyFileSync } from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "./migrations";
import { tempDir } from "./temp";

/** Every secret the fixture writes: none may appear in a response, an export or a log. */
export const KNOWN_SECRETS = {
  alicePassword: "$2b$12$ALICEHASHaliceHASHaliceHASHaliceHASHaliceHASH12",
  bobPassword: "$2b$12$BOBHASHbobHASHbobHASHbobHASHbobHASHbobHASHbob1234",
  bobPasswordLater: "$2b$12$BOBNEWHASHbobNEWHASHbobNEWHASHbobNEWHASHbob12345",
  tokenHash: "f00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dface",
  otherTokenHash: "beadbeadbeadbeadbeadbeadbeadbeadbeadbeadbeadbeadbeadbeadbeadbead",
  twoFactorSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  recoveryCodeHash: "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0dec0de",
  sessionId: "SeSsIoNiDsEsSiOnIdSeSsIoNiDsEsSiOnIdSeSsIo",
  channelSecret: "whsec_ChannelSigningKeyChannelSigningKey",
  offsiteSecret: "S3SECRETs3secretS3SECRETs3secretS3SECRET",
} as const;

export const AUDIT_EVENTS_REMOVED = 1204;

const NOW = "2026-12-01T10:00:00.000+00:00";

function insertAudit(db: Database.Database, from: number, count: number): void {
  const insert = db.prepare(
    `INSERT INTO "AuditEvent" (id, actorType, actorId, action, result, message, createdAt) VALUES (?, 'USER', 'u-alice', 'backup.sqlite.created', 'SUCCESS', ?, ?)`,
  );
  db.transaction(() => {
    for (let i = from; i < from + count; i++) {
      insert.run(
        `audit-${String(i).padStart(6, "0")}`,
        `event ${i}`,
        new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      );
    }
  })();
}

/**
 * The backup: alice is an owner, token host-cron works, the schedule is off, 100 audit events,
 * a webhook channel, an offsite target, a 2FA enrolment with a recovery code and a session.
 */
export function backupDatabase(dir = tempDir()): string {
  const file = path.join(dir, "backup.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  const user = db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?)`,
  );
  user.run("u-alice", "alice", KNOWN_SECRETS.alicePassword, "Alice", "owner", NOW, NOW);
  user.run("u-bob", "bob", KNOWN_SECRETS.bobPassword, "Bob", "operator", NOW, NOW);
  const token = db.prepare(
    `INSERT INTO "ApiToken" (id, name, tokenHash, prefix, createdById, createdAt, revokedAt) VALUES (?, ?, ?, ?, 'u-alice', ?, ?)`,
  );
  token.run("t-cron", "host-cron", KNOWN_SECRETS.tokenHash, "opst_Ab12", NOW, null);
  token.run("t-ci", "ci", KNOWN_SECRETS.otherTokenHash, "opst_Cd34", NOW, null);
  db.prepare(`INSERT INTO "TwoFactor" (userId, secret, enabledAt, createdAt) VALUES ('u-bob', ?, ?, ?)`).run(
    KNOWN_SECRETS.twoFactorSecret,
    NOW,
    NOW,
  );
  db.prepare(`INSERT INTO "RecoveryCode" (id, userId, codeHash) VALUES ('rc-1', 'u-bob', ?)`).run(
    KNOWN_SECRETS.recoveryCodeHash,
  );
  db.prepare(
    `INSERT INTO "Session" (id, userId, expiresAt) VALUES (?, 'u-alice', '2099-01-01T00:00:00.000+00:00')`,
  ).run(KNOWN_SECRETS.sessionId);
  db.prepare(
    `INSERT INTO "AlertChannel" (id, name, type, enabled, configJson, secret, eventsJson, updatedAt) VALUES ('c-hook', 'ops-hook', 'webhook', 1, '{"url":"https://hooks.test/x","preset":"generic"}', ?, '["backup.overdue"]', ?)`,
  ).run(KNOWN_SECRETS.channelSecret, NOW);
  const setting = db.prepare(`INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES (?, ?, ?)`);
  setting.run("backup.schedule", JSON.stringify({ cron: null, keep: 7 }), NOW);
  setting.run(
    "offsite.target",
    JSON.stringify({
      bucket: "ops-backups",
      endpoint: null,
      prefix: "opstage",
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: KNOWN_SECRETS.offsiteSecret,
      recipient: null,
    }),
    NOW,
  );
  insertAudit(db, 0, 100);
  db.close();
  return file;
}

/**
 * The live database, made from the backup with known differences: alice viewer (role changed),
 * host-cron revoked, bob's password changed, the schedule 0 3 * * *, carol added, ci token
 * deleted, 1,204 audit events more and one changed.
 * Expected, live → backup: User 1 removed (carol) and 2 changed (alice, bob); ApiToken 1 added
 * (ci) and 1 changed (host-cron); SystemSetting 1 changed; AuditEvent 1,204 removed, 1 changed.
 */
export function liveDatabase(backup: string, dir = tempDir()): string {
  const file = path.join(dir, "live.db");
  copyFileSync(backup, file);
  const db = openDatabase(file);
  db.prepare(`UPDATE "User" SET role = 'viewer' WHERE username = 'alice'`).run();
  db.prepare(`UPDATE "User" SET passwordHash = ? WHERE username = 'bob'`).run(KNOWN_SECRETS.bobPasswordLater);
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, createdAt, updatedAt) VALUES ('u-carol', 'carol', 'x', 'Carol', 'viewer', 'ACTIVE', ?, ?)`,
  ).run(NOW, NOW);
  db.prepare(`UPDATE "ApiToken" SET revokedAt = ? WHERE name = 'host-cron'`).run(NOW);
  db.prepare(`DELETE FROM "ApiToken" WHERE name = 'ci'`).run();
  db.prepare(`UPDATE "SystemSetting" SET valueJson = ? WHERE key = 'backup.schedule'`).run(
    JSON.stringify({ cron: "0 3 * * *", keep: 7 }),
  );
  db.prepare(`UPDATE "AuditEvent" SET message = 'edited' WHERE id = 'audit-000007'`).run();
  insertAudit(db, 100, AUDIT_EVENTS_REMOVED);
  db.close();
  return file;
}
