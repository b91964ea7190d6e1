// Two-factor sign-in (TOTP, RFC 6238) over HTTP against the built server: enrolment, sign-in
// with a code computed here, a wrong code refused and throttled, recovery codes good once, the
// CLI's reset; and with OPSTAGE_REQUIRE_2FA=owners, an owner's password alone opens no console
// page and no API route but the enrolment's, while API tokens keep working.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { queryOne } from "../support/db";
import { runCli, startServer, type RunningServer } from "../support/server";
import { attemptSignIn, signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };

/** The authenticator app: the code of the time step `offset` steps from now. */
function totp(secret: string, offset = 0): string {
  const step = Math.floor(Date.now() / 30_000) + offset;
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6);
}

/** Six digits that are none of the codes sign-in accepts now. */
function notTheCode(secret: string): string {
  const accepted = [-1, 0, 1].map((offset) => totp(secret, offset));
  return ["000000", "111111", "222222", "333333"].find((code) => !accepted.includes(code))!;
}

type Server = { server: RunningServer; dataDir: string; dbFile: string };

async function start(env: Record<string, string> = {}): Promise<Server> {
  const dataDir = tempDir();
  const server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password, ...env },
  });
  return { server, dataDir, dbFile: path.join(dataDir, "opstage.db") };
}

function call(server: RunningServer, pathname: string, init: RequestInit & { cookie?: string; json?: unknown } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.cookie) headers.Cookie = init.cookie;
  let body = init.body;
  if (init.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  return fetch(`${server.url}${pathname}`, { ...init, headers, body, redirect: "manual" });
}

async function createUser(server: RunningServer, ownerCookie: string, username: string, role: string) {
  const response = await call(server, "/api/admin/users", {
    method: "POST",
    cookie: ownerCookie,
    json: { username, role, password: `${username}-password-123` },
  });
  assert.equal(response.status, 201, await response.clone().text());
  return { ...((await response.json()) as { user: { id: string } }).user, password: `${username}-password-123` };
}

/** Enrols through the API as the console does; returns the secret and the recovery codes. */
async function enrol(server: RunningServer, cookie: string) {
  const started = await call(server, "/api/account/two-factor/enrolment", { method: "POST", cookie });
  assert.equal(started.status, 200, await started.clone().text());
  const { secret, uri, qrCode } = (await started.json()) as { secret: string; uri: string; qrCode: string };
  assert.match(uri, /^otpauth:\/\/totp\/Opstage%20CE:.+\?.*secret=/);
  assert.match(qrCode, /^data:image\/png;base64,/);
  const wrong = await call(server, "/api/account/two-factor/enable", {
    method: "POST",
    cookie,
    json: { code: totp(secret, 10) },
  });
  assert.equal(wrong.status, 400);
  assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, "invalid_code");
  const enabled = await call(server, "/api/account/two-factor/enable", {
    method: "POST",
    cookie,
    json: { code: totp(secret) },
  });
  assert.equal(enabled.status, 200, await enabled.clone().text());
  const { recoveryCodes } = (await enabled.json()) as { recoveryCodes: string[] };
  return { secret, recoveryCodes };
}

const audited = (dbFile: string, action: string, targetId: string) =>
  queryOne<{ n: number }>(
    dbFile,
    "SELECT count(*) AS n FROM AuditEvent WHERE action = ? AND targetId = ?",
    action,
    targetId,
  ).n;

describe("two-factor sign-in", () => {
  let s: Server;
  let ownerCookie: string;
  before(async () => {
    s = await start();
    ownerCookie = await signIn(s.server.url, OWNER.username, OWNER.password);
  });
  after(async () => {
    await s?.server.stop();
  });

  test("enrol, then sign in with a TOTP code computed here; a code is good once; a wrong one is refused", async () => {
    const user = await createUser(s.server, ownerCookie, "tina", "operator");
    const cookie = await signIn(s.server.url, "tina", user.password);
    const { secret, recoveryCodes } = await enrol(s.server, cookie);
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    assert.equal(audited(s.dbFile, "user.2fa.enabled", user.id), 2, "the wrong code and the right one");
    const stored = queryOne<{ n: number; plain: number }>(
      s.dbFile,
      `SELECT count(*) AS n, sum(codeHash IN (${recoveryCodes.map(() => "?").join(",")})) AS plain FROM RecoveryCode WHERE userId = ?`,
      ...recoveryCodes,
      user.id,
    );
    assert.deepEqual({ ...stored }, { n: 10, plain: 0 }, "stored hashed");

    const passwordOnly = await attemptSignIn(s.server.url, "tina", user.password);
    assert.deepEqual(passwordOnly, { cookie: null, error: "second_factor_required" });
    const wrongPassword = await attemptSignIn(s.server.url, "tina", "not-tinas-password", { code: totp(secret, 1) });
    assert.deepEqual(wrongPassword, { cookie: null, error: "CredentialsSignin" }, "the password is checked first");
    const wrongCode = await attemptSignIn(s.server.url, "tina", user.password, { code: notTheCode(secret) });
    assert.deepEqual(wrongCode, { cookie: null, error: "second_factor_invalid" });
    // The enrolment used this step's code: the next step's (a clock a little ahead) signs in.
    const code = totp(secret, 1);
    const signedIn = await attemptSignIn(s.server.url, "tina", user.password, { code });
    assert.ok(signedIn.cookie, JSON.stringify(signedIn));
    assert.equal((await call(s.server, "/api/account", { cookie: signedIn.cookie })).status, 200);
    const replayed = await attemptSignIn(s.server.url, "tina", user.password, { code });
    assert.deepEqual(replayed, { cookie: null, error: "second_factor_invalid" }, "the same code again");
    const metadata = queryOne<{ metadataJson: string }>(
      s.dbFile,
      `SELECT metadataJson FROM AuditEvent WHERE action = 'auth.login.succeeded' AND targetId = 'tina' ORDER BY rowid DESC LIMIT 1`,
    );
    assert.deepEqual(JSON.parse(metadata.metadataJson), { secondFactor: "totp" });
  });

  test("a recovery code signs in once, typed any way; the CLI's reset-2fa brings back the password alone", async () => {
    const user = await createUser(s.server, ownerCookie, "rita", "viewer");
    const { recoveryCodes } = await enrol(s.server, await signIn(s.server.url, "rita", user.password));
    const typed = recoveryCodes[3]!.toUpperCase().replaceAll("-", " ");
    assert.ok((await attemptSignIn(s.server.url, "rita", user.password, { code: typed })).cookie, "a recovery code");
    assert.deepEqual(await attemptSignIn(s.server.url, "rita", user.password, { code: recoveryCodes[3] }), {
      cookie: null,
      error: "second_factor_invalid",
    });
    const status = await call(s.server, "/api/account/two-factor", {
      cookie: await signIn(s.server.url, "rita", user.password, { code: recoveryCodes[4] }),
    });
    assert.equal(((await status.json()) as { recoveryCodesLeft: number }).recoveryCodesLeft, 8);

    const reset = runCli(s.dataDir, ["user", "reset-2fa", "rita"]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /Second factor of rita removed/);
    assert.equal(audited(s.dbFile, "user.2fa.reset", user.id), 1);
    assert.ok((await attemptSignIn(s.server.url, "rita", user.password)).cookie, "the password alone again");
    assert.equal(
      queryOne<{ n: number }>(s.dbFile, "SELECT count(*) AS n FROM RecoveryCode WHERE userId = ?", user.id).n,
      0,
    );
    const unknown = runCli(s.dataDir, ["user", "reset-2fa", "nobody"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No user named nobody/);
  });

  test("wrong codes are throttled like passwords: after 10, even a right code waits", async () => {
    const user = await createUser(s.server, ownerCookie, "gus", "viewer");
    const { secret, recoveryCodes } = await enrol(s.server, await signIn(s.server.url, "gus", user.password));
    const wrong = notTheCode(secret);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const refused = await attemptSignIn(s.server.url, "gus", user.password, { code: wrong });
      assert.equal(refused.error, "second_factor_invalid", `attempt ${attempt}`);
    }
    const throttled = await attemptSignIn(s.server.url, "gus", user.password, { code: recoveryCodes[0] });
    assert.deepEqual(throttled, { cookie: null, error: "second_factor_throttled" });
    assert.ok(
      queryOne<{ n: number }>(
        s.dbFile,
        "SELECT count(*) AS n FROM AuditEvent WHERE action = 'auth.login.throttled' AND targetId = 'gus'",
      ).n >= 1,
    );
    // The recovery code was not spent by the refused attempt.
    assert.equal(
      queryOne<{ n: number }>(
        s.dbFile,
        "SELECT count(*) AS n FROM RecoveryCode WHERE userId = ? AND usedAt IS NULL",
        user.id,
      ).n,
      10,
    );
  });

  test("turning it off needs the password; the codes of an enrolment being set up are not asked at sign-in", async () => {
    const user = await createUser(s.server, ownerCookie, "otto", "viewer");
    const cookie = await signIn(s.server.url, "otto", user.password);
    assert.equal((await call(s.server, "/api/account/two-factor/enrolment", { method: "POST", cookie })).status, 200);
    assert.ok((await attemptSignIn(s.server.url, "otto", user.password)).cookie, "not on until confirmed");
    const { secret } = (await (
      await call(s.server, "/api/account/two-factor/enrolment", { method: "POST", cookie })
    ).json()) as { secret: string };
    assert.equal(
      (await call(s.server, "/api/account/two-factor/enable", { method: "POST", cookie, json: { code: totp(secret) } }))
        .status,
      200,
    );
    const wrong = await call(s.server, "/api/account/two-factor", {
      method: "DELETE",
      cookie,
      json: { password: "nope-nope-nope" },
    });
    assert.equal(wrong.status, 400);
    const off = await call(s.server, "/api/account/two-factor", {
      method: "DELETE",
      cookie,
      json: { password: user.password },
    });
    assert.equal(off.status, 200);
    assert.ok((await attemptSignIn(s.server.url, "otto", user.password)).cookie);
    assert.equal(audited(s.dbFile, "user.2fa.disabled", user.id), 2, "the refusal and the change");
  });
});

describe("OPSTAGE_REQUIRE_2FA=owners", () => {
  let s: Server;
  before(async () => {
    s = await start({ OPSTAGE_REQUIRE_2FA: "owners" });
  });
  after(async () => {
    await s?.server.stop();
  });

  const CONSOLE_PAGES = [
    "/",
    "/settings/backups",
    "/settings/replication",
    "/settings/tokens",
    "/settings/diagnostics",
    "/settings/users",
    "/settings/alerts",
    "/settings/audit",
    "/settings/account",
  ];
  const API_ROUTES: [string, string, unknown?][] = [
    ["GET", "/api/account"],
    ["GET", "/api/account/sessions"],
    ["POST", "/api/account/password", { currentPassword: OWNER.password, newPassword: "another-password-123" }],
    ["DELETE", "/api/account/two-factor", { password: OWNER.password }],
    ["GET", "/api/admin/backups"],
    ["POST", "/api/admin/backups"],
    ["GET", "/api/admin/users"],
    ["GET", "/api/admin/tokens"],
    ["POST", "/api/admin/tokens", { name: "sneaky" }],
    ["GET", "/api/admin/audit"],
    ["GET", "/api/admin/diagnostics"],
    ["GET", "/api/admin/alerts"],
    ["PUT", "/api/admin/backup-schedule", { cron: null, keep: 3 }],
    ["POST", "/api/admin/backup/sqlite?via=api"],
  ];

  test("an owner's password alone reaches no console page and no API route except the enrolment", async () => {
    const cookie = await signIn(s.server.url, OWNER.username, OWNER.password);
    for (const pathname of CONSOLE_PAGES) {
      const response = await call(s.server, pathname, { cookie });
      const body = await response.text();
      assert.equal(response.status, 307, `${pathname}: ${response.status}`);
      assert.equal(new URL(response.headers.get("location")!, s.server.url).pathname, "/two-factor", pathname);
      assert.ok(
        !body.includes("Database size") && !body.includes("Owners manage everything"),
        `${pathname} renders nothing`,
      );
    }
    for (const [method, pathname, json] of API_ROUTES) {
      const response = await call(s.server, pathname, { method, cookie, json });
      assert.equal(response.status, 403, `${method} ${pathname}`);
      assert.equal(
        ((await response.json()) as { error: { code: string } }).error.code,
        "two_factor_enrolment_required",
        `${method} ${pathname}`,
      );
    }
    const page = await call(s.server, "/two-factor", { cookie });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /requires a second factor for your role/);
    const status = await call(s.server, "/api/account/two-factor", { cookie });
    assert.equal(status.status, 200);
    assert.deepEqual(await status.json(), { enabled: false, enabledAt: null, recoveryCodesLeft: 0, required: true });

    // Enrolled, the same session opens everything; turning it off is refused while required.
    const { secret } = await enrol(s.server, cookie);
    assert.equal((await call(s.server, "/api/admin/backups", { cookie })).status, 200);
    assert.equal((await call(s.server, "/settings/backups", { cookie })).status, 200);
    const off = await call(s.server, "/api/account/two-factor", {
      method: "DELETE",
      cookie,
      json: { password: OWNER.password },
    });
    assert.equal(off.status, 409);
    assert.equal(((await off.json()) as { error: { code: string } }).error.code, "required");
    assert.ok((await attemptSignIn(s.server.url, OWNER.username, OWNER.password, { code: totp(secret, 1) })).cookie);
  });

  test("other roles are not asked; API tokens keep working while their owner must enrol again", async () => {
    // The owner enrolled in the test before: reset it from the CLI, as after a lost phone.
    assert.equal((await attemptSignIn(s.server.url, OWNER.username, OWNER.password)).error, "second_factor_required");
    assert.equal(runCli(s.dataDir, ["user", "reset-2fa", OWNER.username]).code, 0);
    const cookie = await signIn(s.server.url, OWNER.username, OWNER.password);
    assert.equal((await call(s.server, "/api/admin/tokens", { cookie })).status, 403, "not enrolled again yet");
    const { secret } = await enrol(s.server, cookie);
    const created = await call(s.server, "/api/admin/tokens", { method: "POST", cookie, json: { name: "cron" } });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };
    const operator = await createUser(s.server, cookie, "opal", "operator");
    assert.equal(runCli(s.dataDir, ["user", "reset-2fa", OWNER.username]).code, 0);
    assert.equal(
      (await call(s.server, "/api/admin/backups", { cookie })).status,
      403,
      "the owner's session must enrol again",
    );
    const withToken = await call(s.server, "/api/admin/backups", { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(withToken.status, 200, "the token is excepted");
    const operatorCookie = await signIn(s.server.url, "opal", operator.password);
    assert.equal((await call(s.server, "/api/admin/backups", { cookie: operatorCookie })).status, 200);
    assert.ok(secret);
  });
});
