// Verify and start give one answer: every file verify calls restorable is one the server starts
// on, and every file the server refuses, verify refuses.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { verifyDatabaseFile } from "../../lib/backup/verify";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { assertStartable } from "../../lib/migrate/startable";
import { APP_VERSION } from "../../lib/version";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

const shipped = readMigrationFiles(shippedMigrationsDir);

function migratedDatabase(): string {
  const file = path.join(tempDir(), "good.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, shipped);
  db.close();
  return file;
}

function variant(good: string, name: string, sql: string): string {
  const file = path.join(path.dirname(good), `${name}.db`);
  copyFileSync(good, file);
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return file;
}

function startRefusal(file: string): string | null {
  const db = openDatabase(file, { readonly: true });
  try {
    assertStartable(db, shipped, APP_VERSION);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    db.close();
  }
}

test("verify and start agree on a failed row, an edited checksum, an unknown newer migration, a newer version and a foreign database", async () => {
  const good = migratedDatabase();
  const first = shipped[0]!.name;
  const cases = {
    "failed migration row": variant(
      good,
      "failed",
      `UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '${first}'`,
    ),
    "edited checksum": variant(
      good,
      "edited",
      `UPDATE _prisma_migrations SET checksum = 'edited' WHERE migration_name = '${first}'`,
    ),
    "unknown newer migration": variant(
      good,
      "unknown",
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ('n', 'x', '2999-01-01', '29990101000000_future', '2999-01-01', 1)`,
    ),
    "newer recorded version": variant(
      good,
      "newer-version",
      `INSERT INTO SystemSetting (key, valueJson, updatedAt) VALUES ('app.version', '"99.0.0"', CURRENT_TIMESTAMP)`,
    ),
    "foreign database": variant(good, "foreign", `DROP TABLE _prisma_migrations`),
  };
  for (const [what, file] of Object.entries(cases)) {
    const refusal = startRefusal(file);
    assert.ok(refusal, `start refuses the ${what}`);
    const verification = await verifyDatabaseFile(file, shipped, null);
    assert.equal(verification.restorable, false, `verify refuses the ${what}: ${verification.detail}`);
    assert.ok(
      verification.detail.includes(refusal.slice(0, 40)),
      `the same reason for the ${what}: ${verification.detail}`,
    );
  }
  assert.equal(startRefusal(good), null);
  assert.equal((await verifyDatabaseFile(good, shipped, null)).state, "restorable");
});
