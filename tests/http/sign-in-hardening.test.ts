// Sign-in and the HTTP edge against the built server: the limiter cannot be dodged with a
// forged X-Forwarded-For and counts parallel guesses, audit rows carry the real address, a
// duplicated callbackUrl is no 500, every answer has the security headers, and no console page
// gives its data to a request without a session (RSC payload requests included).
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { queryOne } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const CANARY = "canary-display-name-7f3a";

let server: RunningServer;
let dbFile: string;
let ownerCookie: string;

async function attempt(username: string, password: string, headers: Record<string, string> = {}): Promise<boolean> {
  const csrfResponse = await fetch(`${server.url}/api/auth/csrf`);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const cookie = csrfResponse.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const response = await fetch(`${server.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie, ...headers },
    body: new URLSearchParams({ csrfToken, username, password, json: "true" }),
  });
  await response.arrayBuffer();
  return response.headers.getSetCookie().some((c) => c.includes("session-token="));
}

/** A page as the browser asks for it, following Next's redirect of an RSC request to its ?_rsc URL. */
async function getPage(pathname: string, headers: Record<string, string>): Promise<Response> {
  const response = await fetch(`${server.url}${pathname}`, { headers, redirect: "manual" });
  const location = response.headers.get("location") ?? "";
  if (!location.includes("_rsc")) return response;
  await response.arrayBuffer();
  return fetch(new URL(location, server.url), { headers, redirect: "manual" });
}

const count = (sql: string, ...params: unknown[]) => queryOne<{ n: number }>(dbFile, sql, ...params).n;

before(async () => {
  const dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  ownerCookie = await signIn(server.url, OWNER.username, OWNER.password);
  const created = await fetch(`${server.url}/api/admin/users`, {
    method: "POST",
    headers: { Cookie: ownerCookie, "Content-Type": "application/json" },
    body: JSON.stringify({ username: "canary", displayName: CANARY, role: "viewer", password: "canary-password-1" }),
  });
  assert.equal(created.status, 201);
});

after(async () => {
  await server?.stop();
});

describe("sign-in throttle", () => {
  test("a rotating X-Forwarded-For does not buy fresh attempts, and the audit log keeps the real address", async () => {
    const results: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      results.push(await attempt("sprayed", "wrong-password-xyz", { "X-Forwarded-For": `198.51.100.${i}` }));
    }
    assert.ok(results.every((ok) => !ok));
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE action = 'auth.login.failed' AND targetId = 'sprayed'"),
      10,
    );
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE action = 'auth.login.throttled' AND targetId = 'sprayed'"),
      2,
    );
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE targetId = 'sprayed' AND ipAddress LIKE '198.51.100.%'"),
      0,
      "no forged address recorded",
    );
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE targetId = 'sprayed' AND ipAddress = '127.0.0.1'"),
      12,
    );
  });

  test("parallel guesses share one budget", async () => {
    const results = await Promise.all(Array.from({ length: 16 }, () => attempt("parallel", "wrong-password-xyz")));
    assert.ok(results.every((ok) => !ok));
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE action = 'auth.login.failed' AND targetId = 'parallel'"),
      10,
    );
    assert.equal(
      count("SELECT count(*) AS n FROM AuditEvent WHERE action = 'auth.login.throttled' AND targetId = 'parallel'"),
      6,
    );
  });
});

describe("the HTTP edge", () => {
  test("a duplicated or crafted callbackUrl is a plain sign-in page, never a 500 nor a redirect elsewhere", async () => {
    for (const query of [
      "callbackUrl=/a&callbackUrl=/b",
      "callbackUrl=/%5C127.0.0.1:4199/pwned",
      "callbackUrl=https://evil.example/",
    ]) {
      const response = await fetch(`${server.url}/login?${query}`);
      assert.equal(response.status, 200, query);
      const html = await response.text();
      // The form's target after sign-in, as serialized into the page's RSC payload.
      assert.ok(html.includes('{\\"next\\":\\"/\\"}'), `${query}: the form goes to / after sign-in`);
    }
  });

  test("pages and API answers carry the security headers", async () => {
    for (const [pathname, cookie] of [
      ["/login", undefined],
      ["/", ownerCookie],
      ["/api/health", undefined],
      ["/api/admin/users", undefined],
      ["/api/admin/users", ownerCookie],
    ] as const) {
      const response = await fetch(`${server.url}${pathname}`, {
        headers: cookie ? { Cookie: cookie } : {},
        redirect: "manual",
      });
      await response.arrayBuffer();
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors 'none'/, pathname);
      assert.match(csp, /default-src 'self'/, pathname);
      assert.equal(response.headers.get("x-frame-options"), "DENY", pathname);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", pathname);
      assert.equal(response.headers.get("referrer-policy"), "same-origin", pathname);
    }
  });

  test("no console page gives data to a request without a session (HTML or RSC payload), nor Users to a viewer", async () => {
    const eventId = queryOne<{ id: string }>(dbFile, "SELECT id FROM AuditEvent WHERE action = 'user.created'").id;
    const pages = [
      "/",
      "/settings/backups",
      "/settings/tokens",
      "/settings/diagnostics",
      "/settings/users",
      "/settings/audit",
      `/settings/audit/${eventId}`,
      "/settings/account",
    ];
    // What a client-side navigation sends: the flight payload of the page, not its HTML. With a
    // router state that already holds the (console) layout (the browser was on Backups), Next
    // renders only the segments below it, so the layout's check does not run: the page's must.
    const fromRoot = encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}] }]));
    const fromBackups = encodeURIComponent(
      JSON.stringify([
        "",
        {
          children: [
            "(console)",
            { children: ["settings", { children: ["backups", { children: ["__PAGE__", {}] }] }] },
          ],
        },
      ]),
    );
    const variants: Record<string, string>[] = [
      {},
      { RSC: "1", "Next-Router-State-Tree": fromRoot },
      { RSC: "1", "Next-Router-State-Tree": fromBackups },
    ];
    const leaks = [CANARY, "canary", OWNER.username, "user.created", "Recent activity", "Database size", "opstage.db"];
    for (const pathname of pages) {
      for (const headers of variants) {
        const response = await getPage(pathname, headers);
        const body = await response.text();
        assert.ok(
          response.status === 307 || response.status === 200 || response.status === 303,
          `${pathname} ${response.status}`,
        );
        if (response.status === 307 || response.status === 303)
          assert.match(response.headers.get("location") ?? "", /\/login/);
        for (const leak of leaks)
          assert.ok(!body.includes(leak), `${pathname} ${JSON.stringify(headers)} leaks ${leak}`);
      }
    }
    const viewerCookie = await signIn(server.url, "canary", "canary-password-1");
    for (const headers of variants.map((variant): Record<string, string> => ({ ...variant, Cookie: viewerCookie }))) {
      const response = await getPage("/settings/users", headers);
      const body = await response.text();
      // A flight payload streams with 200 and carries the not-found instead of the page.
      assert.equal(response.status, headers.RSC ? 200 : 404, JSON.stringify(headers));
      assert.ok(!body.includes("Owners manage everything"), "the Users page is not rendered for a viewer");
      assert.match(body, /NEXT_HTTP_ERROR_FALLBACK;404|This page could not be found/);
    }
  });
});
