// Alerts are delivered at least once across a restart, against the built server: an alert raised
// while its webhook receiver is down (nothing listens on its port yet), the server restarted, the
// receiver back on that port — the alert arrives, exactly once. The alert is a real one: an
// offsite copy that fails for good (its S3 endpoint a closed loopback port).
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { startWebhookReceiver, type WebhookReceiver } from "../support/alert-receivers";
import { queryOne } from "../support/db";
import { freePort, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
let server: RunningServer | null = null;
let receiver: WebhookReceiver | null = null;

after(async () => {
  await server?.stop("SIGKILL");
  await receiver?.close();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("an alert raised while its receiver is down is delivered exactly once after a restart", async () => {
  const dataDir = tempDir();
  const dbFile = path.join(dataDir, "opstage.db");
  const receiverPort = await freePort();
  const env = {
    OPSTAGE_ADMIN_USERNAME: OWNER.username,
    OPSTAGE_ADMIN_PASSWORD: OWNER.password,
    OPSTAGE_OFFSITE_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    OPSTAGE_OFFSITE_REGION: "us-east-1",
    OPSTAGE_OFFSITE_BUCKET: "unreachable",
    OPSTAGE_OFFSITE_PATH_STYLE: "true",
    OPSTAGE_OFFSITE_ACCESS_KEY_ID: "KEY",
    OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: "secret",
    OPSTAGE_OFFSITE_KINDS: "manual",
    OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: "10", // the copy fails for good in about a second
    // Delivery attempts 1 s, 2 s, 4 s … apart: the restart comes between two of them.
    OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS: "1000",
  };
  server = await startServer({ dataDir, env });
  let cookie = await signIn(server.url, OWNER.username, OWNER.password);
  const post = async (pathname: string, body?: unknown) => {
    const response = await fetch(`${server!.url}${pathname}`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return response.json() as Promise<{ name: string }>;
  };
  await post("/api/admin/alerts", {
    type: "webhook",
    name: "hook",
    events: ["backup.offsite.failed"],
    config: { url: `http://127.0.0.1:${receiverPort}/alerts`, preset: "generic" },
  });
  const { name } = await post("/api/admin/backups");
  const pending = () =>
    queryOne<{ n: number }>(
      dbFile,
      `SELECT COUNT(*) AS n FROM "AlertDelivery" WHERE eventType = 'backup.offsite.failed'`,
    );
  const first = server;
  await until(
    "a failed delivery attempt",
    () => /alert backup\.offsite\.failed to hook, attempt 1 failed/.test(first.output()),
    30_000,
  );

  await server.stop();
  receiver = await startWebhookReceiver(receiverPort);
  server = await startServer({ dataDir, env });
  cookie = await signIn(server.url, OWNER.username, OWNER.password);

  const delivered = () =>
    queryOne<{ n: number }>(dbFile, `SELECT COUNT(*) AS n FROM "AuditEvent" WHERE action = 'alert.delivered'`).n;
  await until("the delivery after the restart", () => delivered() >= 1, 30_000);
  await until("the outbox to be empty", () => pending().n === 0, 10_000);
  const hits = receiver.received.filter((hit) => hit.json.event === "backup.offsite.failed");
  assert.equal(hits.length, 1, "delivered exactly once");
  assert.match(String(hits[0]!.json.title), new RegExp(`offsite copy of ${name.replace(/\./g, "\\.")} failed`));
  assert.equal(delivered(), 1);
});
