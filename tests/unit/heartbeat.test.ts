// OPSTAGE_HEARTBEAT_URL: which URL a run's outcome pings, and the variable's check.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../lib/config";
import { heartbeatTarget } from "../../lib/alerts/heartbeat";

const SECRET = "s".repeat(32);

describe("heartbeat", () => {
  test("success pings the URL itself, a failure <url>/fail (the query kept)", () => {
    assert.equal(heartbeatTarget("https://hc-ping.com/abc", true).toString(), "https://hc-ping.com/abc");
    assert.equal(heartbeatTarget("https://hc-ping.com/abc/", false).toString(), "https://hc-ping.com/abc/fail");
    assert.equal(
      heartbeatTarget("https://kuma.example/api/push/tok?status=up", false).toString(),
      "https://kuma.example/api/push/tok/fail?status=up",
    );
  });

  test("the variable must be an http(s) URL", () => {
    const config = parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_HEARTBEAT_URL: "https://hc-ping.com/abc" });
    assert.equal(config.monitoring.heartbeatUrl, "https://hc-ping.com/abc");
    for (const bad of ["ftp://example.com/x", "hc-ping.com/abc"]) {
      assert.throws(
        () => parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_HEARTBEAT_URL: bad }),
        (error: unknown) =>
          error instanceof ConfigError && /OPSTAGE_HEARTBEAT_URL must be an http\(s\) URL/.test(error.message),
      );
    }
  });
});
