// What a stranger (or a careless owner) can send, against the built server: log records forged
// through a callbackUrl, another origin's writes, LIKE wildcards in the audit filter, alert
// targets inside the network, and /api/health's answer to anyone.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { lookup } from "node:dns/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startWebhookReceiver, type WebhookReceiver } from "../support/alert-receivers";
import { waitFor } from "../support/replication";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const FORGED = '{"level":30,"app":"opstage","msg":"FORGED"}';

type Instance = { server: RunningServer; dataDir: string; cookie: string };

async function startInstance(env: Record<string, string> = {}, dataDir = tempDir()): Promise<Instance> {
  const server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password, ...env },
  });
  return { server, dataDir, cookie: await signIn(server.url, OWNER.username, OWNER.password) };
}

function api(instance: Instance, pathname: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { Cookie: instance.cookie, ...(init.headers as Record<string, string>) };
  if (init.body) headers["Content-Type"] = "application/json";
  return fetch(`${instance.server.url}${pathname}`, { ...init, headers, redirect: "manual" });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const body = await response.text();
  assert.equal(response.status, status, body);
  return JSON.parse(body) as T;
}

/** The server's JSON log records (one per line); a line that is not JSON is returned as { line }. */
function logRecords(server: RunningServer): Record<string, unknown>[] {
  return server
    .output()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { line };
      }
    });
}

describe("anyone, signed in or not", () => {
  let instance: Instance;
  before(async () => {
    instance = await startInstance({ OPSTAGE_LOG_FORMAT: "json" });
  });
  after(() => instance.server.stop());

  test("a callbackUrl that is not a URL is sent home, and writes no record of its own into the log", async () => {
    const forged = `javascript:x\n${FORGED}\n`;
    const response = await fetch(`${instance.server.url}/api/auth/signin?callbackUrl=${encodeURIComponent(forged)}`, {
      redirect: "manual",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/");
    // The same value in next-auth's callback-url cookie.
    const byCookie = await fetch(`${instance.server.url}/api/auth/session`, {
      redirect: "manual",
      headers: { Cookie: `next-auth.callback-url=${encodeURIComponent(forged)}` },
    });
    assert.equal(byCookie.status, 303);
    assert.match(byCookie.headers.get("set-cookie") ?? "", /next-auth\.callback-url=; Path=\/; Max-Age=0/);
    const records = logRecords(instance.server);
    assert.ok(records.length > 0);
    assert.deepEqual(
      records.filter(
        (record) => record.msg === "FORGED" || ("line" in record && /FORGED|next-auth/.test(String(record.line))),
      ),
      [],
      "no record forged, and next-auth writes only through the server's JSON records",
    );
    // A path and an http(s) URL still reach next-auth.
    assert.equal(
      (await fetch(`${instance.server.url}/api/auth/signin?callbackUrl=%2Fsettings`, { redirect: "manual" })).status,
      302,
    );
  });

  test("a write from another origin is refused, even one that differs only in scheme", async () => {
    const { server } = instance;
    const httpsTwin = server.url.replace(/^http:/, "https:");
    const otherPort = server.url.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + 1}`);
    for (const origin of [httpsTwin, otherPort, "null"]) {
      const response = await api(instance, "/api/admin/backup-schedule", {
        method: "PUT",
        headers: { Origin: origin },
        body: JSON.stringify({ cron: "0 3 * * *", keep: 3 }),
      });
      assert.equal(response.status, 403, origin);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "cross_site");
    }
    // The sign-in form posted from another origin.
    const csrf = await fetch(`${server.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookies = csrf.headers.getSetCookie().map((cookie) => cookie.split(";")[0]!);
    const signInFrom = (origin: string) =>
      fetch(`${server.url}/api/auth/callback/credentials`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookies.join("; "), Origin: origin },
        body: new URLSearchParams({ csrfToken, ...OWNER, json: "true" }),
      });
    const refused = await signInFrom(httpsTwin);
    assert.equal(refused.status, 403);
    assert.ok(!refused.headers.getSetCookie().some((cookie) => cookie.includes("session-token=")));
    // This console's own origin still signs in and writes.
    const own = await signInFrom(server.url);
    assert.ok(own.headers.getSetCookie().some((cookie) => cookie.includes("session-token=")));
    const saved = await api(instance, "/api/admin/backup-schedule", {
      method: "PUT",
      headers: { Origin: server.url },
      body: JSON.stringify({ cron: null, keep: 3 }),
    });
    assert.equal(saved.status, 200, await saved.text());
  });

  test("the audit filter takes % and _ as the characters themselves", async () => {
    type Page = { events: { action: string }[] };
    const all = await json<Page>(await api(instance, "/api/admin/audit"));
    assert.ok(all.events.length > 0);
    for (const wildcard of ["%", "_", "%25", "user%", "_ser."]) {
      const page = await json<Page>(await api(instance, `/api/admin/audit?action=${encodeURIComponent(wildcard)}`));
      assert.deepEqual(page.events, [], wildcard);
    }
    const prefix = all.events[0]!.action.split(".")[0]!;
    const matching = await json<Page>(await api(instance, `/api/admin/audit?action=${encodeURIComponent(prefix)}.`));
    assert.ok(matching.events.length > 0);
    assert.ok(matching.events.every((event) => event.action.startsWith(`${prefix}.`)));
  });

  test("/api/health says what state, never an error's text; the log has it under the request's id", async () => {
    const { server, dataDir } = instance;
    const secretName = "20990101000000_private_detail_x";
    const db = new Database(path.join(dataDir, "opstage.db"));
    db.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('x', 'c', ?, 0, 0)`,
    ).run(secretName);
    try {
      const response = await fetch(`${server.url}/api/health`);
      assert.equal(response.status, 503);
      const body = await response.text();
      assert.ok(!body.includes(secretName), body);
      const requestId = response.headers.get("x-request-id");
      assert.ok(requestId);
      assert.match(body, new RegExp(`request ${requestId}`));
      // The server writes the line before it answers, but its output reaches this process
      // through a pipe, which a loaded host may deliver after the response.
      await waitFor(
        "the detail logged under the request's id",
        () =>
          logRecords(server).some(
            (record) => record.requestId === requestId && String(record.detail).includes(secretName),
          ),
        10_000,
        () => server.output(),
      );
    } finally {
      db.prepare(`DELETE FROM _prisma_migrations WHERE id = 'x'`).run();
      db.close();
    }
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });
});

describe("alert targets inside the network", () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(() => receiver.close());

  test("refused when saved and at each delivery, unless allowed; a receiver's answer is shown as one short line", async () => {
    const dataDir = tempDir();
    // Allowed: a channel to a receiver on 127.0.0.1 delivers.
    let instance = await startInstance({ OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: "true" }, dataDir);
    const channel = await json<{ id: string }>(
      await api(instance, "/api/admin/alerts", {
        method: "POST",
        body: JSON.stringify({
          type: "webhook",
          name: "inside",
          enabled: true,
          events: ["backup.overdue"],
          config: { url: `${receiver.url}/hook`, preset: "generic" },
        }),
      }),
      201,
    );
    const sendTest = async () =>
      json<{ ok: boolean; message: string }>(
        await api(instance, `/api/admin/alerts/${channel.id}/test`, { method: "POST" }),
      );
    assert.equal((await sendTest()).ok, true);
    assert.equal(receiver.received.length, 1);

    // A receiver that answers an error with a long, many-line body: one line of it, short.
    const leaky = createServer((_request, response) => {
      response.writeHead(500).end(`INTERNAL-SECRET-DATA\n${"x".repeat(5000)}\nline three`);
    });
    await new Promise<void>((resolve) => leaky.listen(0, "127.0.0.1", resolve));
    try {
      const leakyUrl = `http://127.0.0.1:${(leaky.address() as AddressInfo).port}/`;
      const leakyChannel = await json<{ id: string }>(
        await api(instance, "/api/admin/alerts", {
          method: "POST",
          body: JSON.stringify({
            type: "webhook",
            name: "leaky",
            enabled: true,
            events: ["backup.overdue"],
            config: { url: leakyUrl, preset: "generic" },
          }),
        }),
        201,
      );
      const answer = await json<{ ok: boolean; message: string }>(
        await api(instance, `/api/admin/alerts/${leakyChannel.id}/test`, { method: "POST" }),
      );
      assert.equal(answer.ok, false);
      assert.match(answer.message, /answered HTTP 500: INTERNAL-SECRET-DATA x+…$/);
      assert.ok(!answer.message.includes("\n"));
      assert.ok(answer.message.length < 160, answer.message);
    } finally {
      await new Promise((resolve) => leaky.close(resolve));
    }
    await instance.server.stop();

    // Not allowed (the default): the saved channel is refused at delivery, nothing is sent.
    instance = await startInstance({ OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: "false" }, dataDir);
    try {
      const refused = await sendTest();
      assert.equal(refused.ok, false);
      assert.match(refused.message, /127\.0\.0\.1 is a loopback address inside your network/);
      assert.match(refused.message, /OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS=true/);
      assert.equal(receiver.received.length, 1);
      // And refused when saved: loopback, private, link-local (metadata), IPv6, localhost, SMTP.
      for (const url of [
        "http://127.0.0.1:9/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:9/",
      ]) {
        const response = await api(instance, "/api/admin/alerts", {
          method: "POST",
          body: JSON.stringify({
            type: "webhook",
            name: "x",
            enabled: true,
            events: ["backup.overdue"],
            config: { url, preset: "generic" },
          }),
        });
        assert.equal(response.status, 400, url);
        assert.match(((await response.json()) as { error: { message: string } }).error.message, /inside your network/);
      }
      const smtp = await api(instance, "/api/admin/alerts", {
        method: "POST",
        body: JSON.stringify({
          type: "email",
          name: "mail",
          enabled: true,
          events: ["backup.overdue"],
          config: {
            host: "192.168.1.10",
            port: 25,
            security: "none",
            username: "",
            from: "a@example.test",
            to: ["b@example.test"],
          },
        }),
      });
      assert.equal(smtp.status, 400);
    } finally {
      await instance.server.stop();
    }
  });

  test("a name that resolves inside the network is refused at delivery, for webhooks and SMTP", async (t) => {
    // This machine's own name resolves to one of its addresses (/etc/hosts), which is not public.
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0) return t.skip(`${name} does not resolve here`);
    const instance = await startInstance({ OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: "false" });
    try {
      const port = new URL(receiver.url).port;
      for (const config of [
        { type: "webhook", config: { url: `http://${name}:${port}/hook`, preset: "generic" } },
        {
          type: "email",
          config: {
            host: name,
            port: 25,
            security: "none",
            username: "",
            from: "a@example.test",
            to: ["b@example.test"],
          },
        },
      ]) {
        const channel = await json<{ id: string }>(
          await api(instance, "/api/admin/alerts", {
            method: "POST",
            body: JSON.stringify({
              name: `by name (${config.type})`,
              enabled: true,
              events: ["backup.overdue"],
              ...config,
            }),
          }),
          201,
        );
        const answer = await json<{ ok: boolean; message: string }>(
          await api(instance, `/api/admin/alerts/${channel.id}/test`, { method: "POST" }),
        );
        assert.equal(answer.ok, false);
        assert.match(answer.message, new RegExp(`${name} \\(.+\\) is a .+ address inside your network`));
      }
      assert.equal(receiver.received.length, 1, "nothing more reached the receiver");
    } finally {
      await instance.server.stop();
    }
  });
});
