// Users, My account and sessions that end, over HTTP against the built server: who may call each
// new route, the last-owner guards, and that sign-out, password changes and resets, disabling and
// "sign out everywhere" end sessions (and a disabled user's API tokens) at the very next request.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { queryOne } from "../support/db";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn, signOut } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };

let server: RunningServer;
let dataDir: string;
let dbFile: string;
let ownerCookie: string;

type Call = RequestInit & { cookie?: string; bearer?: string; json?: unknown };

function api(pathname: string, call: Call = {}) {
  const headers: Record<string, string> = { ...(call.headers as Record<string, string>) };
  if (call.cookie) headers.Cookie = call.cookie;
  if (call.bearer) headers.Authorization = `Bearer ${call.bearer}`;
  let body = call.body;
  if (call.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(call.json);
  }
  return fetch(`${server.url}${pathname}`, { ...call, headers, body });
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

type UserJson = { id: string; username: string; role: string; status: string };

let userCounter = 0;
/** Creates a user through the API; returns it with its password. */
async function createUser(role: "owner" | "operator" | "viewer", password: string | null = null) {
  const username = `${role}-${++userCounter}`;
  const response = await api("/api/admin/users", {
    method: "POST",
    cookie: ownerCookie,
    json: { username, role, password },
  });
  assert.equal(response.status, 201, await response.clone().text());
  const { user, generatedPassword } = (await response.json()) as { user: UserJson; generatedPassword: string | null };
  return { ...user, password: password ?? generatedPassword! };
}

function auditCount(action: string, targetId: string): number {
  return queryOne<{ n: number }>(
    dbFile,
    "SELECT count(*) AS n FROM AuditEvent WHERE action = ? AND targetId = ?",
    action,
    targetId,
  ).n;
}

before(async () => {
  dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  ownerCookie = await signIn(server.url, OWNER.username, OWNER.password);
});

after(async () => {
  await server?.stop();
});

describe("who may call each route", () => {
  test("anonymous 401, below the role 403, allowed roles pass the guard, cross-site writes 403", async () => {
    const operator = await createUser("operator");
    const viewer = await createUser("viewer");
    const target = await createUser("viewer");
    const cookies = {
      anonymous: undefined,
      viewer: await signIn(server.url, viewer.username, viewer.password),
      operator: await signIn(server.url, operator.username, operator.password),
      owner: ownerCookie,
    };
    const eventId = queryOne<{ id: string }>(dbFile, "SELECT id FROM AuditEvent ORDER BY rowid DESC LIMIT 1").id;
    // Allowed callers send a body the route refuses (400), so the matrix changes nothing; reads answer 200.
    type Row = {
      method: string;
      path: string;
      json?: unknown;
      minimum: "viewer" | "operator" | "owner";
      allowed: number;
    };
    const rows: Row[] = [
      { method: "GET", path: "/api/admin/users", minimum: "owner", allowed: 200 },
      { method: "POST", path: "/api/admin/users", json: {}, minimum: "owner", allowed: 400 },
      {
        method: "PATCH",
        path: `/api/admin/users/${target.id}`,
        json: { role: "nobody" },
        minimum: "owner",
        allowed: 400,
      },
      { method: "DELETE", path: "/api/admin/users/no-such-user", minimum: "owner", allowed: 404 },
      {
        method: "POST",
        path: `/api/admin/users/${target.id}/password`,
        json: { password: "short" },
        minimum: "owner",
        allowed: 400,
      },
      { method: "GET", path: "/api/account", minimum: "viewer", allowed: 200 },
      { method: "PATCH", path: "/api/account", json: { displayName: "" }, minimum: "viewer", allowed: 400 },
      {
        method: "POST",
        path: "/api/account/password",
        json: { currentPassword: "wrong-password-xx", newPassword: "x" },
        minimum: "viewer",
        allowed: 400,
      },
      { method: "GET", path: "/api/admin/audit", minimum: "viewer", allowed: 200 },
      { method: "GET", path: `/api/admin/audit/${eventId}`, minimum: "operator", allowed: 200 },
      { method: "GET", path: "/api/admin/audit/export?format=ndjson&action=none.", minimum: "viewer", allowed: 200 },
      { method: "GET", path: "/api/admin/audit/retention", minimum: "viewer", allowed: 200 },
      { method: "PUT", path: "/api/admin/audit/retention", json: { days: 0 }, minimum: "owner", allowed: 400 },
      { method: "GET", path: "/api/admin/tokens", minimum: "owner", allowed: 200 },
      // Backups (lib/roles.ts BACKUP_PERMISSIONS): operators back up and verify; the rest is
      // the owner's. The allowed answers are refusals that change nothing, except "back up now".
      { method: "GET", path: "/api/admin/backups", minimum: "viewer", allowed: 200 },
      { method: "POST", path: "/api/admin/backups", minimum: "operator", allowed: 201 },
      { method: "POST", path: "/api/admin/backups/no-such.db/verify", minimum: "operator", allowed: 404 },
      { method: "GET", path: "/api/admin/backup-progress?ticket=never-issued", minimum: "operator", allowed: 404 },
      { method: "GET", path: "/api/admin/backups/no-such.db", minimum: "owner", allowed: 404 },
      { method: "DELETE", path: "/api/admin/backups/no-such.db", minimum: "owner", allowed: 404 },
      { method: "PUT", path: "/api/admin/backups/upload?name=..db", minimum: "owner", allowed: 400 },
      { method: "POST", path: "/api/admin/restore", json: {}, minimum: "owner", allowed: 400 },
      { method: "GET", path: "/api/admin/backups/no-such.db/inspect", minimum: "owner", allowed: 404 },
      { method: "GET", path: "/api/admin/backups/no-such.db/inspect/rows?table=User", minimum: "owner", allowed: 404 },
      { method: "GET", path: "/api/admin/backups/no-such.db/export?table=User", minimum: "owner", allowed: 404 },
      {
        method: "POST",
        path: "/api/admin/backups/no-such.db/compare",
        json: { against: "live" },
        minimum: "owner",
        allowed: 404,
      },
      { method: "GET", path: "/api/admin/backups/no-such.db/compare?id=none", minimum: "owner", allowed: 404 },
      { method: "DELETE", path: "/api/admin/backups/no-such.db/compare?id=none", minimum: "owner", allowed: 404 },
      { method: "PUT", path: "/api/admin/backup-schedule", json: {}, minimum: "owner", allowed: 400 },
      { method: "POST", path: "/api/admin/backup/sqlite?via=api", minimum: "owner", allowed: 200 },
    ];
    const rank = { viewer: 1, operator: 2, owner: 3 };
    for (const row of rows) {
      for (const [who, cookie] of Object.entries(cookies)) {
        const response = await api(row.path, { method: row.method, cookie, json: row.json });
        await response.arrayBuffer();
        const expected =
          who === "anonymous"
            ? 401
            : rank[who as keyof typeof rank] >= rank[row.minimum]
              ? row.allowed
              : row.path.includes("/audit/") && row.method === "GET"
                ? 404
                : 403;
        assert.equal(response.status, expected, `${row.method} ${row.path} as ${who}`);
      }
      if (row.method !== "GET") {
        const crossSite = await api(row.path, {
          method: row.method,
          cookie: ownerCookie,
          json: row.json,
          headers: { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
        });
        assert.equal(crossSite.status, 403, `${row.method} ${row.path} cross-site`);
        assert.equal((await errorOf(crossSite)).code, "cross_site");
      }
    }
    // sign-out-everywhere ends the caller's sessions, so each role gets a session of its own for it.
    const everywhere = "/api/account/sign-out-everywhere";
    assert.equal((await api(everywhere, { method: "POST" })).status, 401);
    assert.equal(
      (await api(everywhere, { method: "POST", cookie: ownerCookie, headers: { Origin: "https://evil.example" } }))
        .status,
      403,
    );
    for (const user of [viewer, operator]) {
      const cookie = await signIn(server.url, user.username, user.password);
      assert.equal((await api(everywhere, { method: "POST", cookie })).status, 200, user.username);
      assert.equal((await api("/api/account", { cookie })).status, 401, `${user.username} signed out everywhere`);
    }
  });

  test("API tokens cannot list tokens or manage accounts (session only)", async () => {
    const created = await api("/api/admin/tokens", { method: "POST", cookie: ownerCookie, json: { name: "script" } });
    const { token } = (await created.json()) as { token: string };
    for (const [method, pathname, json] of [
      ["GET", "/api/admin/tokens", undefined],
      ["GET", "/api/admin/users", undefined],
      ["POST", "/api/admin/users", { username: "from-token", role: "owner" }],
      ["POST", "/api/account/password", { currentPassword: OWNER.password, newPassword: "token-chosen-password" }],
    ] as const) {
      const response = await api(pathname, { method, bearer: token, json });
      assert.equal(response.status, 403, `${method} ${pathname}`);
      assert.equal((await errorOf(response)).code, "session_required");
    }
    assert.equal((await api("/api/admin/backups", { bearer: token })).status, 200, "the token still makes backups");
  });
});

describe("users", () => {
  test("create (given or generated password), search and filter, change role, disable, enable, reset, delete; each audited", async () => {
    const given = await createUser("viewer", "given-password-123");
    const generated = await createUser("operator");
    assert.match(generated.password, /^[A-Za-z0-9_-]{24}$/);
    await signIn(server.url, generated.username, generated.password);
    assert.equal(auditCount("user.created", given.id), 1);

    const list = async (query: string) =>
      ((await (await api(`/api/admin/users?${query}`, { cookie: ownerCookie })).json()) as UserJson[]).map(
        (u) => u.username,
      );
    assert.deepEqual(await list(`search=${given.username}`), [given.username]);
    assert.ok((await list("role=operator")).includes(generated.username));
    assert.ok(!(await list("role=operator")).includes(given.username));
    assert.equal((await api("/api/admin/users?role=king", { cookie: ownerCookie })).status, 400);

    const promote = await api(`/api/admin/users/${given.id}`, {
      method: "PATCH",
      cookie: ownerCookie,
      json: { role: "operator" },
    });
    assert.equal(promote.status, 200);
    assert.equal(((await promote.json()) as UserJson).role, "operator");
    const changed = queryOne<{ metadataJson: string }>(
      dbFile,
      "SELECT metadataJson FROM AuditEvent WHERE action = 'user.role.changed' AND targetId = ?",
      given.id,
    );
    assert.deepEqual(JSON.parse(changed.metadataJson), { username: given.username, from: "viewer", to: "operator" });

    assert.equal(
      (
        await api(`/api/admin/users/${given.id}`, {
          method: "PATCH",
          cookie: ownerCookie,
          json: { status: "DISABLED" },
        })
      ).status,
      200,
    );
    assert.equal((await list("status=DISABLED")).includes(given.username), true);
    await assert.rejects(
      signIn(server.url, given.username, given.password),
      /failed/,
      "a disabled user cannot sign in",
    );
    assert.equal(
      (await api(`/api/admin/users/${given.id}`, { method: "PATCH", cookie: ownerCookie, json: { status: "ACTIVE" } }))
        .status,
      200,
    );

    const reset = await api(`/api/admin/users/${given.id}/password`, {
      method: "POST",
      cookie: ownerCookie,
      json: { password: null },
    });
    const { generatedPassword } = (await reset.json()) as { generatedPassword: string };
    await signIn(server.url, given.username, generatedPassword);
    const shortPassword = await api(`/api/admin/users/${given.id}/password`, {
      method: "POST",
      cookie: ownerCookie,
      json: { password: "short" },
    });
    assert.equal(shortPassword.status, 400);
    assert.match((await errorOf(shortPassword)).message, /at least 12 characters/);

    // Both signed in (they have audit history): delete is refused, disabling is the way.
    const refused = await api(`/api/admin/users/${given.id}`, { method: "DELETE", cookie: ownerCookie });
    assert.equal(refused.status, 409);
    assert.deepEqual(await errorOf(refused), {
      code: "has_history",
      message: `${given.username} has audit history and cannot be deleted; disable the account instead.`,
    });
    const fresh = await createUser("viewer");
    assert.equal((await api(`/api/admin/users/${fresh.id}`, { method: "DELETE", cookie: ownerCookie })).status, 200);
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM User WHERE id = ?", fresh.id).n, 0);

    for (const action of ["user.disabled", "user.enabled", "user.password.reset"])
      assert.equal(auditCount(action, given.id), 1, action);
    assert.equal(auditCount("user.deleted", fresh.id), 1);

    const duplicate = await api("/api/admin/users", {
      method: "POST",
      cookie: ownerCookie,
      json: { username: given.username, role: "viewer" },
    });
    assert.equal(duplicate.status, 409);
    const badName = await api("/api/admin/users", {
      method: "POST",
      cookie: ownerCookie,
      json: { username: "a b", role: "viewer" },
    });
    assert.equal(badName.status, 400);
    assert.match((await errorOf(badName)).message, /Username must be 3-64 characters/);
  });

  test("the last active owner can be neither demoted, disabled nor deleted; with a second owner, one can step down", async () => {
    const ownerId = queryOne<{ id: string }>(dbFile, "SELECT id FROM User WHERE username = ?", OWNER.username).id;
    // Other owners from earlier tests would make this one not the last: disable them first.
    const others = (await (
      await api("/api/admin/users?role=owner&status=ACTIVE", { cookie: ownerCookie })
    ).json()) as UserJson[];
    for (const other of others.filter((u) => u.id !== ownerId)) {
      await api(`/api/admin/users/${other.id}`, { method: "PATCH", cookie: ownerCookie, json: { status: "DISABLED" } });
    }
    for (const [method, json] of [
      ["PATCH", { role: "operator" }],
      ["PATCH", { status: "DISABLED" }],
      ["DELETE", undefined],
    ] as const) {
      const response = await api(`/api/admin/users/${ownerId}`, { method, cookie: ownerCookie, json });
      assert.equal(response.status, 409, `${method} ${JSON.stringify(json)}`);
      const error = await errorOf(response);
      assert.equal(error.code, "last_owner");
      assert.match(error.message, /last active owner/);
    }
    assert.equal(
      queryOne<{ role: string; status: string }>(dbFile, "SELECT role, status FROM User WHERE id = ?", ownerId).role,
      "owner",
    );

    // Two owners demoting each other at the same moment: exactly one succeeds.
    const second = await createUser("owner");
    const secondCookie = await signIn(server.url, second.username, second.password);
    const [a, b] = await Promise.all([
      api(`/api/admin/users/${second.id}`, { method: "PATCH", cookie: ownerCookie, json: { role: "viewer" } }),
      api(`/api/admin/users/${ownerId}`, { method: "PATCH", cookie: secondCookie, json: { role: "viewer" } }),
    ]);
    // The loser is refused by the guard (409) or, when the winner was quicker, by its new role (403).
    const statuses = [a.status, b.status].sort();
    assert.equal(statuses[0], 200, `statuses ${statuses}`);
    assert.ok(statuses[1] === 403 || statuses[1] === 409, `statuses ${statuses}`);
    const activeOwners = queryOne<{ n: number }>(
      dbFile,
      "SELECT count(*) AS n FROM User WHERE role = 'owner' AND status = 'ACTIVE'",
    ).n;
    assert.equal(activeOwners, 1);
    // Put the first owner back in charge for the tests after this one.
    if (b.status === 200) {
      assert.equal(
        (await api(`/api/admin/users/${ownerId}`, { method: "PATCH", cookie: secondCookie, json: { role: "owner" } }))
          .status,
        200,
      );
    }
    // With another active owner, an owner may demote themselves.
    const third = await createUser("owner");
    const thirdCookie = await signIn(server.url, third.username, third.password);
    assert.equal(
      (await api(`/api/admin/users/${third.id}`, { method: "PATCH", cookie: thirdCookie, json: { role: "operator" } }))
        .status,
      200,
    );
    assert.equal(
      (await api("/api/admin/users", { cookie: thirdCookie })).status,
      403,
      "the demoted owner is an operator at once",
    );
  });
});

describe("sessions end", () => {
  test("a reset ends the user's open session: the very next backup request is refused", async () => {
    const second = await createUser("owner", "second-owner-password");
    const cookie = await signIn(server.url, second.username, second.password);
    assert.equal((await api("/api/admin/backups", { cookie })).status, 200);
    assert.equal(
      (
        await api(`/api/admin/users/${second.id}/password`, {
          method: "POST",
          cookie: ownerCookie,
          json: { password: "reset-by-the-owner-1" },
        })
      ).status,
      200,
    );
    const backup = await api("/api/admin/backups", { method: "POST", cookie });
    assert.equal(backup.status, 401);
    assert.match((await errorOf(backup)).message, /session has ended/);
    const again = await signIn(server.url, second.username, "reset-by-the-owner-1");
    assert.equal(
      (await api("/api/admin/backups", { cookie: again })).status,
      200,
      "signed in again with the new password",
    );
  });

  test("a reset from the CLI ends the user's sessions too", async () => {
    const user = await createUser("operator", "operator-cli-password");
    const cookie = await signIn(server.url, user.username, user.password);
    assert.equal((await api("/api/account", { cookie })).status, 200);
    assert.equal(runCli(dataDir, ["user", "reset-password", user.username], "reset-from-the-cli-1\n").code, 0);
    assert.equal((await api("/api/account", { cookie })).status, 401);
  });

  test("a copy of the cookie taken before sign-out is refused after it", async () => {
    const second = await createUser("owner", "copied-cookie-password");
    const cookie = await signIn(server.url, second.username, second.password);
    const copy = cookie;
    assert.equal((await api("/api/admin/backups", { cookie: copy })).status, 200);
    await signOut(server.url, cookie);
    assert.equal((await api("/api/admin/backups", { method: "POST", cookie: copy })).status, 401);
    const other = await signIn(server.url, second.username, second.password);
    assert.equal(
      (await api("/api/admin/backups", { cookie: other })).status,
      200,
      "signing out ends that session only",
    );
  });

  test("changing one's password ends the other sessions and keeps this one (re-issued cookie)", async () => {
    const user = await createUser("viewer", "viewer-first-password");
    const here = await signIn(server.url, user.username, user.password);
    const elsewhere = await signIn(server.url, user.username, user.password);
    const wrong = await api("/api/account/password", {
      method: "POST",
      cookie: here,
      json: { currentPassword: "not-my-password", newPassword: "viewer-second-password" },
    });
    assert.equal(wrong.status, 400);
    assert.match((await errorOf(wrong)).message, /current password is wrong/);
    const short = await api("/api/account/password", {
      method: "POST",
      cookie: here,
      json: { currentPassword: user.password, newPassword: "short" },
    });
    assert.match((await errorOf(short)).message, /at least 12 characters/);

    const changed = await api("/api/account/password", {
      method: "POST",
      cookie: here,
      json: { currentPassword: user.password, newPassword: "viewer-second-password" },
    });
    assert.equal(changed.status, 200);
    const reissued = changed.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.includes("session-token="));
    assert.ok(reissued, "a new session cookie");
    assert.equal((await api("/api/account", { cookie: elsewhere })).status, 401, "the other session ended");
    assert.equal((await api("/api/account", { cookie: here })).status, 401, "the old cookie of this browser too");
    assert.equal(
      (await api("/api/account", { cookie: reissued })).status,
      200,
      "this browser continues with the new cookie",
    );
    await signIn(server.url, user.username, "viewer-second-password");
    assert.equal(auditCount("user.password.changed", user.id), 3, "two refusals and the change");

    const renamed = await api("/api/account", {
      method: "PATCH",
      cookie: reissued,
      json: { displayName: "  Vera Viewer " },
    });
    assert.equal(((await renamed.json()) as { displayName: string }).displayName, "Vera Viewer");
  });

  test("disabling a user ends their sessions and stops their API tokens", async () => {
    const second = await createUser("owner", "token-owner-password");
    const cookie = await signIn(server.url, second.username, second.password);
    const created = await api("/api/admin/tokens", { method: "POST", cookie, json: { name: "cron" } });
    const { token } = (await created.json()) as { token: string };
    assert.equal((await api("/api/admin/backups", { bearer: token })).status, 200);
    assert.equal(
      (
        await api(`/api/admin/users/${second.id}`, {
          method: "PATCH",
          cookie: ownerCookie,
          json: { status: "DISABLED" },
        })
      ).status,
      200,
    );
    const tokenAnswer = await api("/api/admin/backups", { method: "POST", bearer: token });
    assert.equal(tokenAnswer.status, 401);
    assert.match((await errorOf(tokenAnswer)).message, /no longer an active owner/);
    assert.equal((await api("/api/admin/backups", { cookie })).status, 401);
    // Enabling again does not bring the ended session back.
    await api(`/api/admin/users/${second.id}`, { method: "PATCH", cookie: ownerCookie, json: { status: "ACTIVE" } });
    assert.equal((await api("/api/admin/backups", { cookie })).status, 401);
  });
});
