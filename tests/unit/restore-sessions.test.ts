// Sessions across a restore (lib/backup/restore-changes.ts): none of the backup's own Session rows
// survive (they were live when it was taken, and some were ended since: signed out, a password
// changed); the live sessions of users the backup has too are carried over, so a restore does
// not sign out everyone using the console. On real SQLite files.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { carryOverAndCompare } from "../../lib/backup/restore-changes";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { queryOne } from "../support/db";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);

function databaseWithSession(sessionId: string): string {
  const file = path.join(tempDir(), "opstage.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, shipped);
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt)
     VALUES ('u1', 'owner', 'x', 'Owner', 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run();
  db.prepare(`INSERT INTO "Session" (id, userId, expiresAt) VALUES (?, 'u1', '2999-01-01T00:00:00.000+00:00')`).run(
    sessionId,
  );
  db.close();
  return file;
}

const sessions = (file: string) => queryOne<{ n: number }>(file, `SELECT count(*) AS n FROM "Session"`).n;

test("the restored database keeps none of the backup's sessions and the live ones of its users; the replaced one is left as it was", () => {
  const live = databaseWithSession("live-session");
  const liveDb = openDatabase(live);
  liveDb
    .prepare(
      `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt)
       VALUES ('u2', 'newer', 'x', 'Newer', 'viewer', 'ACTIVE', CURRENT_TIMESTAMP)`,
    )
    .run();
  liveDb.prepare(`INSERT INTO "Session" (id, userId, expiresAt) VALUES ('newer-session', 'u2', '2999-01-01')`).run();
  liveDb.close();
  const backup = databaseWithSession("signed-out-since");
  carryOverAndCompare(live, backup, true);
  const kept = queryOne<{ ids: string }>(backup, `SELECT group_concat(id) AS ids FROM "Session"`).ids;
  assert.equal(
    kept,
    "live-session",
    "the backup's session is gone; the live one of a user the backup lacks is not carried",
  );
  assert.equal(sessions(live), 2, "the replaced database (kept as the pre-restore backup) is not changed");
});

test("a backup from before server-side sessions has no Session table: nothing to delete, no error", () => {
  const live = databaseWithSession("live-session");
  const older = path.join(tempDir(), "opstage.db");
  const db = openDatabase(older);
  applyPendingMigrations(
    db,
    shipped.filter((migration) => !migration.name.endsWith("_server_side_sessions")),
  );
  db.close();
  assert.doesNotThrow(() => carryOverAndCompare(live, older, true));
});
