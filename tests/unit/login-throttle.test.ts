import assert from "node:assert/strict";
import { test } from "node:test";
import { clientAddress, PEER_HEADER } from "../../lib/auth/client-address";
import { LoginLimiter } from "../../lib/auth/login-throttle";
import { safeCallbackPath } from "../../lib/auth/safe-callback";

const LIMITS = {
  pairPoints: 5,
  pairWindowSeconds: 900,
  pairBlockSeconds: 900,
  addressPoints: 20,
  addressWindowSeconds: 3600,
};

test("parallel guesses draw on one budget; the same username from another address is not slowed", async () => {
  const limiter = new LoginLimiter(LIMITS);
  const answers = await Promise.all(Array.from({ length: 12 }, () => limiter.reserve("Owner", "203.0.113.9")));
  assert.equal(answers.filter((a) => a.ok).length, 5, "exactly the budget passes");
  const refused = answers.find((a) => !a.ok);
  assert.ok(refused && !refused.ok && refused.retryAfterSeconds > 800, "blocked for the block duration");
  assert.deepEqual(await limiter.reserve("owner", "198.51.100.7"), { ok: true }, "the owner at their own address");
});

test("a correct password clears its pair; a spray from one address hits the address budget", async () => {
  const limiter = new LoginLimiter(LIMITS);
  for (let i = 0; i < 4; i++) assert.ok((await limiter.reserve("alice", "10.0.0.1")).ok);
  await limiter.succeeded("alice", "10.0.0.1");
  for (let i = 0; i < 5; i++)
    assert.ok((await limiter.reserve("alice", "10.0.0.1")).ok, `after success, attempt ${i + 1}`);

  const sprayer = new LoginLimiter(LIMITS);
  const results = [];
  for (let i = 0; i < 25; i++) results.push(await sprayer.reserve(`user${i}`, "10.6.6.6"));
  assert.equal(results.filter((r) => r.ok).length, 20);
  const last = results.at(-1)!;
  assert.ok(!last.ok && /from this address/.test(last.reason));
});

test("the client address: the TCP peer, unless the peer is a trusted proxy; forwarded values are never taken on trust", () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name] ?? null;
  assert.equal(
    clientAddress(headers({ [PEER_HEADER]: "203.0.113.5", "x-forwarded-for": "1.2.3.4" }), []),
    "203.0.113.5",
  );
  assert.equal(
    clientAddress(headers({ [PEER_HEADER]: "::ffff:127.0.0.1", "x-forwarded-for": "1.2.3.4" }), []),
    "127.0.0.1",
  );
  const proxied = headers({ [PEER_HEADER]: "10.0.0.2", "x-forwarded-for": "6.6.6.6, 198.51.100.20" });
  assert.equal(
    clientAddress(proxied, ["10.0.0.2"]),
    "198.51.100.20",
    "the hop the proxy added, not the client's claim",
  );
  assert.equal(clientAddress(proxied, []), "10.0.0.2", "an untrusted peer is the client");
  assert.equal(clientAddress(headers({}), []), null);
});

test("callback URLs: only paths of this console", () => {
  for (const evil of [
    "/\\127.0.0.1:4199/pwned",
    "//evil.example/x",
    "https://evil.example/",
    "/\t/evil.example",
    "/.//evil.example",
    "javascript:alert(1)",
    "",
  ]) {
    assert.equal(safeCallbackPath(evil), "/", JSON.stringify(evil));
  }
  assert.equal(safeCallbackPath(["/settings/users", "/\\evil"]), "/", "given twice");
  assert.equal(safeCallbackPath(undefined), "/");
  assert.equal(
    safeCallbackPath("/settings/audit?action=user.&actor=owner#top"),
    "/settings/audit?action=user.&actor=owner#top",
  );
});
