// What a restore brings back and what it keeps. A restore replaces the whole database, so by
// itself it would also turn back the backup schedule (a backup older than the schedule turned it
// off, and the console then made no more backups), bring back API tokens revoked since, and
// passwords and roles changed since. The settings that say how this instance protects itself
// are carried over from the replaced database unless the owner asks for the backup's own; the
// rest is listed, so the owner knows what to revoke or reset again.
import type { SqliteDatabase } from "../db/sqlite";
import { openDatabase } from "../db/sqlite";
import { OFFSITE_SETTING_KEYS } from "./offsite-setting-keys";
import { SCHEDULE_SETTING_KEYS } from "./schedule";

/**
 * SystemSetting keys carried over from the replaced database by default: the schedule, and the
 * offsite target (a restore from offsite must not turn off the copies that made it possible).
 */
export const KEPT_SETTING_KEYS: readonly string[] = [...SCHEDULE_SETTING_KEYS, ...OFFSITE_SETTING_KEYS];

export type RevertedUser = {
  username: string;
  changes: ("password" | "role" | "status" | "comes back" | "gone")[];
  role?: { now: string; restored: string };
};
/** `id`: absent in the audit events of restores made before it was recorded. */
export type RevertedToken = { id?: string; name: string; prefix: string; was: "revoked" | "deleted" };
export type RestoreChanges = {
  users: RevertedUser[];
  /** Tokens usable in the restored database that were revoked or deleted since: revoke them again. */
  tokens: RevertedToken[];
  /** The settings in KEPT_SETTING_KEYS: kept from the replaced database, or the backup's. */
  settings: { kept: boolean; differed: string[] };
};

type UserRow = { id: string; username: string; passwordHash: string; role: string; status: string };
type TokenRow = {
  id: string;
  name: string;
  prefix: string;
  revokedAt: string | null;
  expiresAt: string | number | null;
};
type SettingRow = { key: string; valueJson: string };

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function rows<T>(db: SqliteDatabase, table: string, sql: string): T[] {
  return hasTable(db, table) ? (db.prepare(sql).all() as T[]) : [];
}

function settingsOf(db: SqliteDatabase): Map<string, string> {
  const keys = KEPT_SETTING_KEYS.map(() => "?").join(", ");
  if (!hasTable(db, "SystemSetting")) return new Map();
  const found = db
    .prepare(`SELECT key, valueJson FROM "SystemSetting" WHERE key IN (${keys})`)
    .all(...KEPT_SETTING_KEYS) as SettingRow[];
  return new Map(found.map((row) => [row.key, row.valueJson]));
}

// The alert channels (lib/alerts) say how this instance reaches its owners: a restore keeps them
// like the settings above, or an older backup would silently stop the alerts. Compared and copied
// whole, by these columns (the AlertChannel table as this version creates it).
export const ALERT_CHANNELS = "alert channels";
/** Reported when the backup predates the alert channels: nothing could be carried over. */
export const ALERT_CHANNELS_LOST = "alert channels (not in the backup)";
const CHANNEL_COLUMNS = [
  "id",
  "name",
  "type",
  "enabled",
  "configJson",
  "secret",
  "eventsJson",
  "createdAt",
  "updatedAt",
];

function channelRows(db: SqliteDatabase): Record<string, unknown>[] | null {
  if (!hasTable(db, "AlertChannel")) return null;
  const columns = CHANNEL_COLUMNS.map((column) => `"${column}"`).join(", ");
  return db.prepare(`SELECT ${columns} FROM "AlertChannel" ORDER BY id`).all() as Record<string, unknown>[];
}

function replaceChannels(db: SqliteDatabase, channels: Record<string, unknown>[]): void {
  const columns = CHANNEL_COLUMNS.map((column) => `"${column}"`).join(", ");
  const values = CHANNEL_COLUMNS.map((column) => `@${column}`).join(", ");
  db.prepare(`DELETE FROM "AlertChannel"`).run();
  const insert = db.prepare(`INSERT INTO "AlertChannel" (${columns}) VALUES (${values})`);
  for (const channel of channels) insert.run(channel);
}

// The alert outbox (lib/alerts/outbox.ts): deliveries not made yet are this instance's, like its
// channels. A restore that keeps this instance's settings keeps them too, and drops the backup's
// own (due when the backup was made, long delivered or given up on since): the owners hear what
// happened here, once. One that installs the backup exactly leaves the backup's.
const OUTBOX_COLUMNS = [
  "id",
  "channelId",
  "eventType",
  "eventJson",
  "attempts",
  "nextAttemptAt",
  "lastError",
  "claimedUntil",
  "createdAt",
];

function carryOverOutbox(replaced: SqliteDatabase, installing: SqliteDatabase): void {
  // A backup from before the outbox gets an empty one when it is migrated at start.
  if (!hasTable(replaced, "AlertDelivery") || !hasTable(installing, "AlertDelivery")) return;
  const columns = OUTBOX_COLUMNS.map((column) => `"${column}"`).join(", ");
  const values = OUTBOX_COLUMNS.map((column) => `@${column}`).join(", ");
  const rowsOf = (db: SqliteDatabase) =>
    db.prepare(`SELECT ${columns} FROM "AlertDelivery" ORDER BY id`).all() as Record<string, unknown>[];
  const pending = rowsOf(replaced);
  if (JSON.stringify(pending) === JSON.stringify(rowsOf(installing))) return; // the same: no write
  installing.transaction(() => {
    installing.prepare(`DELETE FROM "AlertDelivery"`).run();
    // Unclaimed: the process that held a claim is the one being restored under.
    const insert = installing.prepare(`INSERT INTO "AlertDelivery" (${columns}) VALUES (${values})`);
    for (const row of pending) insert.run({ ...row, claimedUntil: null });
  })();
}

function usable(token: TokenRow): boolean {
  if (token.revokedAt !== null) return false;
  if (token.expiresAt === null) return true;
  const expires = typeof token.expiresAt === "number" ? token.expiresAt : Date.parse(token.expiresAt);
  return !(expires <= Date.now());
}

function compareUsers(current: UserRow[], restored: UserRow[]): RevertedUser[] {
  const now = new Map(current.map((user) => [user.id, user]));
  const back = new Map(restored.map((user) => [user.id, user]));
  const out: RevertedUser[] = [];
  for (const user of restored) {
    const mine = now.get(user.id);
    if (!mine) {
      out.push({ username: user.username, changes: ["comes back"] });
      continue;
    }
    const changes: RevertedUser["changes"] = [];
    if (mine.passwordHash !== user.passwordHash) changes.push("password");
    if (mine.role !== user.role) changes.push("role");
    if (mine.status !== user.status) changes.push("status");
    if (changes.length > 0) {
      out.push({
        username: user.username,
        changes,
        ...(mine.role !== user.role ? { role: { now: mine.role, restored: user.role } } : {}),
      });
    }
  }
  for (const user of current) if (!back.has(user.id)) out.push({ username: user.username, changes: ["gone"] });
  return out;
}

function compareTokens(current: TokenRow[], restored: TokenRow[]): RevertedToken[] {
  const now = new Map(current.map((token) => [token.id, token]));
  const back: RevertedToken[] = [];
  for (const token of restored.filter(usable)) {
    const mine = now.get(token.id);
    if (!mine) back.push({ id: token.id, name: token.name, prefix: token.prefix, was: "deleted" });
    else if (mine.revokedAt !== null)
      back.push({ id: token.id, name: token.name, prefix: token.prefix, was: "revoked" });
  }
  // Revoked ones first: those were taken away on purpose.
  return back.sort((a, b) => (a.was === b.was ? 0 : a.was === "revoked" ? -1 : 1));
}

/**
 * The sessions of the restored database: none of the backup's own (they were live when it was
 * taken, and some were ended since: signed out, a password changed), and the live ones of users
 * the backup has too, so that a restore does not sign out everyone who is using the console
 * (their role, status and second factor are then the backup's, read at every request).
 */
function carryOverSessions(replaced: SqliteDatabase, installing: SqliteDatabase): void {
  if (!hasTable(installing, "Session")) return; // a backup older than sessions: created empty at start
  const live = hasTable(replaced, "Session")
    ? (replaced
        .prepare(`SELECT id, userId, createdAt, lastSeenAt, expiresAt, ipAddress, userAgent FROM "Session"`)
        .all() as Record<string, unknown>[])
    : [];
  const users = new Set((installing.prepare(`SELECT id FROM "User"`).all() as { id: string }[]).map((user) => user.id));
  const insert = installing.prepare(
    `INSERT INTO "Session" (id, userId, createdAt, lastSeenAt, expiresAt, ipAddress, userAgent)
     VALUES (@id, @userId, @createdAt, @lastSeenAt, @expiresAt, @ipAddress, @userAgent)`,
  );
  installing.transaction(() => {
    installing.prepare(`DELETE FROM "Session"`).run();
    for (const session of live) if (users.has(session.userId as string)) insert.run(session);
  })();
}

/**
 * Compares the database being replaced with the one being installed (both closed files, no WAL)
 * and, when keepSettings, writes the replaced database's KEPT_SETTING_KEYS into the one being
 * installed. The second file is still the restore's temp copy: the carried-over settings are in
 * it before it gets the database's name, so no crash can install it without them.
 */
export function carryOverAndCompare(
  replacedPath: string,
  installingPath: string,
  keepSettings: boolean,
): RestoreChanges {
  const replaced = openDatabase(replacedPath, { readonly: true });
  const installing = openDatabase(installingPath);
  try {
    const userSql = `SELECT id, username, passwordHash, role, status FROM "User"`;
    const tokenSql = `SELECT id, name, prefix, revokedAt, expiresAt FROM "ApiToken"`;
    const mine = settingsOf(replaced);
    const theirs = settingsOf(installing);
    const differed = KEPT_SETTING_KEYS.filter((key) => mine.get(key) !== theirs.get(key));
    if (keepSettings) carryOverOutbox(replaced, installing);
    const myChannels = channelRows(replaced);
    const theirChannels = channelRows(installing);
    // A backup from before alert channels existed gets the table when it is migrated at start:
    // it then starts with none, and the restore's report says so.
    const channelsDiffer = JSON.stringify(myChannels ?? []) !== JSON.stringify(theirChannels ?? []);
    if (channelsDiffer) differed.push(theirChannels ? ALERT_CHANNELS : ALERT_CHANNELS_LOST);
    carryOverSessions(replaced, installing);
    if (keepSettings && differed.length > 0) {
      const write = installing.transaction(() => {
        if (channelsDiffer && myChannels && theirChannels) replaceChannels(installing, myChannels);
        for (const key of differed.filter((k) => k !== ALERT_CHANNELS && k !== ALERT_CHANNELS_LOST)) {
          const value = mine.get(key);
          if (value === undefined) installing.prepare(`DELETE FROM "SystemSetting" WHERE key = ?`).run(key);
          else
            installing
              .prepare(
                `INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES (?, ?, ?)
                 ON CONFLICT (key) DO UPDATE SET valueJson = excluded.valueJson, updatedAt = excluded.updatedAt`,
              )
              .run(key, value, new Date().toISOString());
        }
      });
      write();
    }
    return {
      users: compareUsers(rows(replaced, "User", userSql), rows(installing, "User", userSql)),
      tokens: compareTokens(rows(replaced, "ApiToken", tokenSql), rows(installing, "ApiToken", tokenSql)),
      settings: { kept: keepSettings, differed },
    };
  } finally {
    replaced.close();
    installing.close();
  }
}

/** The changes in plain lines, for the CLI's output and the server's log. */
export function describeRestoreChanges(changes: RestoreChanges | null): string[] {
  if (!changes) return [];
  const lines: string[] = [];
  const { settings, users, tokens } = changes;
  const settingKeys = settings.differed.filter((key) => key !== ALERT_CHANNELS && key !== ALERT_CHANNELS_LOST);
  if (settingKeys.length > 0) {
    lines.push(
      settings.kept
        ? "The backup schedule differed in the backup; this instance's schedule was kept."
        : "The backup's own backup schedule is now in effect.",
    );
  }
  if (settings.differed.includes(ALERT_CHANNELS)) {
    lines.push(
      settings.kept
        ? "The alert channels differed in the backup; this instance's channels were kept."
        : "The backup's own alert channels are now in effect.",
    );
  }
  if (settings.differed.includes(ALERT_CHANNELS_LOST)) {
    lines.push("The backup predates alert channels: add yours again in Settings → Alerts.");
  }
  for (const token of tokens) {
    lines.push(
      `API token "${token.name}" (${token.prefix}…) works again: it was ${token.was} after this backup. Revoke it again if that still holds.`,
    );
  }
  for (const user of users) {
    const role = user.role ? ` (role ${user.role.now} → ${user.role.restored})` : "";
    lines.push(`User ${user.username}: ${user.changes.join(", ")} as in the backup${role}.`);
  }
  return lines;
}
