// Server-side sessions over HTTP against the built server: the cookie is only a session id, the
// row decides. next-auth re-signs any valid cookie with a fresh expiry at /api/auth/session, so a
// copy of a cookie refreshed there must still die with its row: at sign-out, and at the row's
// absolute expiry, whatever the cookie's own expiry says.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import { decode, encode } from "next-auth/jwt";
import { execute, queryOne } from "../support/db";
import { startServer, TEST_SECRET, type RunningServer } from "../support/server";
import { signIn, signOut } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const TTL_SECONDS = 60;

let server: RunningServer;
let dbFile: string;

type SessionRow = { userId: string; createdAt: number; lastSeenAt: number; expiresAt: number; ipAddress: string };

type StoredRow = Omit<SessionRow, "createdAt" | "lastSeenAt" | "expiresAt"> & {
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
};

/** The session's row with its times in milliseconds, or undefined when there is none. */
function sessionRow(sessionId: string): SessionRow | undefined {
  const row = queryOne<StoredRow | undefined>(
    dbFile,
    `SELECT userId, createdAt, lastSeenAt, expiresAt, ipAddress FROM "Session" WHERE id = ?`,
    sessionId,
  );
  if (!row) return undefined;
  const ms = (value: string) => Date.parse(value);
  return { ...row, createdAt: ms(row.createdAt), lastSeenAt: ms(row.lastSeenAt), expiresAt: ms(row.expiresAt) };
}

/** A time as Prisma's SQLite adapter stores it (ISO 8601, "+00:00"). */
const stored = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");

async function claimsOf(cookie: string): Promise<Record<string, unknown>> {
  const claims = await decode({ token: cookie.slice(cookie.indexOf("=") + 1), secret: TEST_SECRET });
  assert.ok(claims, "the cookie decodes with the server's secret");
  return claims;
}

async function sessionIdOf(cookie: string): Promise<string> {
  const sid = (await claimsOf(cookie)).sid;
  assert.equal(typeof sid, "string");
  return sid as string;
}

/** next-auth's refresh: GET /api/auth/session answers a re-signed cookie for any valid one. */
async function refreshed(cookie: string): Promise<string> {
  const response = await fetch(`${server.url}/api/auth/session`, { headers: { Cookie: cookie } });
  await response.arrayBuffer();
  const fresh = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.includes("session-token="));
  assert.ok(fresh, "next-auth re-signed the cookie");
  return fresh;
}

/** A cookie for `sessionId` signed with the server's secret and valid for an hour, as a refresh made later would be. */
async function forgedLater(cookie: string, sessionId: string): Promise<string> {
  const name = cookie.slice(0, cookie.indexOf("="));
  return `${name}=${await encode({ token: { sid: sessionId }, secret: TEST_SECRET, maxAge: 3600 })}`;
}

const account = async (cookie: string) => {
  const response = await fetch(`${server.url}/api/account`, { headers: { Cookie: cookie } });
  await response.arrayBuffer();
  return response.status;
};

before(async () => {
  const dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  server = await startServer({
    dataDir,
    env: {
      OPSTAGE_ADMIN_USERNAME: OWNER.username,
      OPSTAGE_ADMIN_PASSWORD: OWNER.password,
      OPSTAGE_SESSION_TTL_SECONDS: String(TTL_SECONDS),
    },
  });
});

after(async () => {
  await server?.stop();
});

test("sign-in writes a session row; the cookie carries its id and nothing else", async () => {
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const claims = await claimsOf(cookie);
  assert.deepEqual(Object.keys(claims).sort(), ["exp", "iat", "jti", "sid"]);
  const row = sessionRow(claims.sid as string);
  assert.ok(row, "a Session row");
  const ownerId = queryOne<{ id: string }>(dbFile, `SELECT id FROM "User" WHERE username = ?`, OWNER.username).id;
  assert.equal(row.userId, ownerId);
  assert.equal(row.ipAddress, "127.0.0.1");
  assert.equal(row.expiresAt - row.createdAt, TTL_SECONDS * 1000, "absolute expiry: sign-in + TTL");
});

test("a copy refreshed at /api/auth/session is refused once the original signs out, and stays refused", async () => {
  const original = await signIn(server.url, OWNER.username, OWNER.password);
  const sessionId = await sessionIdOf(original);
  const copy = await refreshed(original);
  assert.equal(await sessionIdOf(copy), sessionId);
  assert.equal(await account(copy), 200);

  await signOut(server.url, original);
  assert.equal(sessionRow(sessionId), undefined, "sign-out deleted the row");
  assert.equal(await account(copy), 401, "the refreshed copy right after the sign-out");
  // next-auth still re-signs the copy (it only checks the signature); the new cookie is no better.
  assert.equal(await account(await refreshed(copy)), 401, "the copy refreshed after the sign-out");
  // What the copy would look like refreshed after the original cookie's expiry: still refused,
  // because nothing about the ended session is kept until some expiry to be pruned.
  assert.equal(await account(await forgedLater(copy, sessionId)), 401, "a later refresh of the copy");
});

test("a refresh never extends a session past the row's absolute expiry", async () => {
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const sessionId = await sessionIdOf(cookie);
  const copy = await refreshed(cookie);
  assert.equal(await account(copy), 200);
  // The TTL passing, without waiting for it: the row's expiry moves into the past.
  execute(dbFile, `UPDATE "Session" SET expiresAt = ? WHERE id = ?`, stored(Date.now() - 1000), sessionId);
  assert.equal(await account(cookie), 401);
  assert.equal(await account(copy), 401);
  assert.equal(await account(await forgedLater(cookie, sessionId)), 401, "a cookie signed to expire an hour later");
});

test("last seen is written at most once a minute", async () => {
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const sessionId = await sessionIdOf(cookie);
  const signedIn = sessionRow(sessionId)!;
  assert.equal(await account(cookie), 200);
  assert.equal(await account(cookie), 200);
  assert.equal(sessionRow(sessionId)!.lastSeenAt, signedIn.lastSeenAt, "requests within the minute write nothing");
  const longAgo = Date.now() - 2 * 60_000;
  execute(dbFile, `UPDATE "Session" SET lastSeenAt = ? WHERE id = ?`, stored(longAgo), sessionId);
  const before = Date.now();
  assert.equal(await account(cookie), 200);
  assert.ok(sessionRow(sessionId)!.lastSeenAt >= before - 1000, "a request after a minute refreshes it");
});

const FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

type ListedSession = { handle: string; browser: string; os: string; ipAddress: string; current: boolean };

function api(pathname: string, cookie: string, init: RequestInit = {}) {
  return fetch(`${server.url}${pathname}`, { ...init, headers: { Cookie: cookie, ...init.headers } });
}

async function listed(pathname: string, cookie: string): Promise<ListedSession[]> {
  const response = await api(pathname, cookie);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as ListedSession[];
}

const audited = (action: string) =>
  queryOne<{ n: number }>(dbFile, `SELECT count(*) AS n FROM AuditEvent WHERE action = ?`, action).n;

test("a second browser ended from the first's list gets 401 at its next request", async () => {
  const first = await signIn(server.url, OWNER.username, OWNER.password, { headers: { "User-Agent": FIREFOX_LINUX } });
  const second = await signIn(server.url, OWNER.username, OWNER.password, {
    headers: { "User-Agent": CHROME_WINDOWS },
  });
  const sessions = await listed("/api/account/sessions", first);
  const mine = sessions.find((s) => s.current);
  const theirs = sessions.find((s) => s.browser === "Chrome 131");
  assert.ok(mine && theirs, JSON.stringify(sessions));
  assert.deepEqual([mine.browser, mine.os], ["Firefox 128", "Linux"]);
  assert.deepEqual(
    [theirs.browser, theirs.os, theirs.ipAddress, theirs.current],
    ["Chrome 131", "Windows 10", "127.0.0.1", false],
  );
  assert.equal(sessions.filter((s) => s.current).length, 1, "exactly one is this one");
  assert.ok(!JSON.stringify(sessions).includes(await sessionIdOf(second)), "the list never shows a session id");

  const before = audited("user.session.ended");
  const ended = await api(`/api/account/sessions/${theirs.handle}`, first, { method: "DELETE" });
  assert.equal(ended.status, 200);
  assert.equal(await account(second), 401, "the ended browser, at its next request");
  assert.equal(await account(first), 200, "the browser that ended it");
  assert.equal(audited("user.session.ended"), before + 1);
  const again = await api(`/api/account/sessions/${theirs.handle}`, first, { method: "DELETE" });
  assert.equal(again.status, 404);
});

test("End all others keeps this browser only; nobody ends another user's session from their own list", async () => {
  const here = await signIn(server.url, OWNER.username, OWNER.password);
  const elsewhere = [
    await signIn(server.url, OWNER.username, OWNER.password),
    await signIn(server.url, OWNER.username, OWNER.password),
  ];
  const response = await api("/api/account/sessions/end-others", here, { method: "POST" });
  assert.equal(response.status, 200);
  assert.ok(((await response.json()) as { ended: number }).ended >= 2);
  for (const cookie of elsewhere) assert.equal(await account(cookie), 401);
  assert.equal(await account(here), 200);
  const left = await listed("/api/account/sessions", here);
  assert.deepEqual(
    left.map((s) => s.current),
    [true],
  );
  assert.equal(audited("user.sessions.ended.others"), 1);

  // A viewer cannot end the owner's session through the viewer's own list.
  const created = await api("/api/admin/users", here, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "vic", role: "viewer", password: "viewer-password-123" }),
  });
  assert.equal(created.status, 201);
  const viewer = await signIn(server.url, "vic", "viewer-password-123");
  const refused = await api(`/api/account/sessions/${left[0]!.handle}`, viewer, { method: "DELETE" });
  assert.equal(refused.status, 404);
  assert.equal(await account(here), 200);
});

test("owners see and end a user's sessions on Users; others may not", async () => {
  const owner = await signIn(server.url, OWNER.username, OWNER.password);
  const created = await api("/api/admin/users", owner, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "olly", role: "operator", password: "operator-password-123" }),
  });
  const { user } = (await created.json()) as { user: { id: string } };
  const phone = await signIn(server.url, "olly", "operator-password-123", { headers: { "User-Agent": FIREFOX_LINUX } });
  const laptop = await signIn(server.url, "olly", "operator-password-123", {
    headers: { "User-Agent": CHROME_WINDOWS },
  });
  const url = `/api/admin/users/${user.id}/sessions`;
  assert.equal((await api(url, phone)).status, 403, "an operator cannot list another user's sessions");
  const sessions = await listed(url, owner);
  assert.equal(sessions.length, 2);
  assert.ok(
    sessions.every((s) => !s.current),
    "none of them is the owner's",
  );

  const chrome = sessions.find((s) => s.browser === "Chrome 131")!;
  assert.equal((await api(`${url}/${chrome.handle}`, owner, { method: "DELETE" })).status, 200);
  assert.equal(await account(laptop), 401);
  assert.equal(await account(phone), 200);
  const all = await api(url, owner, { method: "DELETE" });
  assert.equal(all.status, 200);
  assert.equal(((await all.json()) as { ended: number }).ended, 1);
  assert.equal(await account(phone), 401);
  const rows = queryOne<{ n: number }>(
    dbFile,
    `SELECT count(*) AS n FROM AuditEvent WHERE action IN ('user.session.ended', 'user.sessions.ended') AND targetId = ?`,
    user.id,
  ).n;
  assert.equal(rows, 2, "both audited against the user");
});

test("a bcrypt hash from before is replaced by scrypt at the next successful sign-in", async () => {
  const owner = await signIn(server.url, OWNER.username, OWNER.password);
  const created = await api("/api/admin/users", owner, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "legacy", role: "viewer", password: "legacy-password-123" }),
  });
  assert.equal(created.status, 201);
  const hashOf = () =>
    queryOne<{ passwordHash: string }>(dbFile, `SELECT passwordHash FROM "User" WHERE username = 'legacy'`)
      .passwordHash;
  assert.match(hashOf(), /^scrypt\$/, "new hashes are scrypt");
  // As an earlier version stored it: bcrypt (cost 4 keeps the test quick; the cost is in the hash).
  execute(
    dbFile,
    `UPDATE "User" SET passwordHash = ? WHERE username = 'legacy'`,
    bcrypt.hashSync("legacy-password-123", 4),
  );
  await assert.rejects(signIn(server.url, "legacy", "not-the-password-1"), /failed/);
  assert.match(hashOf(), /^\$2[aby]\$/, "a failed sign-in changes nothing");
  await signIn(server.url, "legacy", "legacy-password-123");
  assert.match(hashOf(), /^scrypt\$/, "upgraded by the sign-in");
  await signIn(server.url, "legacy", "legacy-password-123");
});
