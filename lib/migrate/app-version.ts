// The Opstage version that last ran a database, kept in SystemSetting "app.version". With the
// migration history it tells a newer database apart from an older one: an older build must not
// write to a database a newer build has run, even when no new migration came with that version.
import semver from "semver";
import type { SqliteDatabase } from "../db/sqlite";

const KEY = "app.version";

function hasSettingsTable(db: SqliteDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'SystemSetting'").get() !== undefined;
}

/** Reads, never writes. Null for a new database or one from before versions were recorded. */
export function lastRecordedVersion(db: SqliteDatabase): string | null {
  if (!hasSettingsTable(db)) return null;
  const row = db.prepare(`SELECT valueJson FROM "SystemSetting" WHERE key = ?`).get(KEY) as
    { valueJson: string } | undefined;
  if (!row) return null;
  try {
    const value = JSON.parse(row.valueJson) as unknown;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

export function recordVersion(db: SqliteDatabase, version: string): void {
  // Nothing written when nothing changed: with replication on, a write at start, before
  // Litestream runs, can restart a WAL it had checkpointed in full, and it then uploads a whole
  // new generation.
  if (lastRecordedVersion(db) === version) return;
  db.prepare(
    `INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET valueJson = excluded.valueJson, updatedAt = excluded.updatedAt`,
  ).run(KEY, JSON.stringify(version), new Date().toISOString());
}

/**
 * Compares two versions by semver's precedence: 1.10.0 > 1.9.3, and a pre-release comes before
 * its release (0.4.0-rc.0 < 0.4.0), so a release candidate's database is older than the release's.
 * A string semver cannot read (hand-edited) compares as equal: it proves nothing either way.
 */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [semver.valid(a) ?? semver.valid(semver.coerce(a)), semver.valid(b) ?? semver.valid(semver.coerce(b))];
  if (!x || !y) return 0;
  return semver.compare(x, y);
}
