// The browser and system shown for a session in the lists (lib/auth/user-agent.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeUserAgent } from "../../lib/auth/user-agent";

test("browsers, scripts and a missing header", () => {
  const cases: [string | null, string, string][] = [
    ["Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128", "Linux"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      "Chrome 131",
      "Windows 10",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Safari 17",
      "iOS",
    ],
    ["curl/8.5.0", "curl 8", "unknown system"],
    [null, "Unknown browser", "unknown system"],
  ];
  for (const [userAgent, browser, os] of cases) {
    assert.deepEqual(describeUserAgent(userAgent), { browser, os }, String(userAgent));
  }
});
