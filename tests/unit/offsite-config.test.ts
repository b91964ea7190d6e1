// The OPSTAGE_OFFSITE_* variables: parsed into the offsite part of the configuration, and a bad
// one refused with one line naming it — never echoing the secret.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../lib/config";
import { parseIdentity } from "../../lib/offsite/age";

const SECRET = "s".repeat(32);
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

function refusal(env: Record<string, string>): string {
  try {
    parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("offsite configuration", () => {
  test("the variables become the offsite fields that win over the console", () => {
    const { offsite } = parseConfig({
      OPSTAGE_SESSION_SECRET: SECRET,
      OPSTAGE_OFFSITE_ENDPOINT: "https://s3.example.com/",
      OPSTAGE_OFFSITE_BUCKET: "opstage-backups",
      OPSTAGE_OFFSITE_PREFIX: "prod/",
      OPSTAGE_OFFSITE_PATH_STYLE: "true",
      OPSTAGE_OFFSITE_AGE_RECIPIENT: RECIPIENT,
      OPSTAGE_OFFSITE_KINDS: "scheduled,pre-upgrade",
      OPSTAGE_OFFSITE_KEEP: "7",
    });
    assert.equal(offsite.endpoint, "https://s3.example.com");
    assert.equal(offsite.prefix, "prod");
    assert.equal(offsite.pathStyle, true);
    assert.deepEqual(offsite.kinds, ["scheduled", "pre-upgrade"]);
    assert.equal(offsite.keepScheduled, 7);
    assert.equal(offsite.region, undefined);
    assert.equal(offsite.retryFirstDelayMs, 2000);
    assert.deepEqual(parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_OFFSITE_KINDS: "none" }).offsite.kinds, []);
  });

  test("a bad value is named in one line", () => {
    assert.match(
      refusal({ OPSTAGE_OFFSITE_AGE_RECIPIENT: "AGE-SECRET-KEY-1ABC" }),
      /^Invalid configuration: OPSTAGE_OFFSITE_AGE_RECIPIENT must be an age X25519 recipient/,
    );
    assert.match(
      refusal({ OPSTAGE_OFFSITE_BUCKET: "Has_Upper" }),
      /^Invalid configuration: OPSTAGE_OFFSITE_BUCKET must be a bucket name/,
    );
    assert.match(
      refusal({ OPSTAGE_OFFSITE_KINDS: "manual,weekly" }),
      /^Invalid configuration: OPSTAGE_OFFSITE_KINDS must be a comma-separated list/,
    );
    assert.match(refusal({ OPSTAGE_OFFSITE_PATH_STYLE: "yes" }), /OPSTAGE_OFFSITE_PATH_STYLE must be true or false/);
    const secret = "x".repeat(2000);
    const message = refusal({ OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: secret });
    assert.match(message, /OPSTAGE_OFFSITE_SECRET_ACCESS_KEY must be at most 1024 characters/);
    assert.ok(!message.includes("xxxx"));
  });

  test("an identity is one AGE-SECRET-KEY-1 line; a wrong one is refused without echoing it", () => {
    const key = `AGE-SECRET-KEY-1${"Q".repeat(58)}`;
    assert.equal(parseIdentity(`# created: 2026-11-27\n# public key: ${RECIPIENT}\n${key}\n`), key);
    for (const bad of ["AGE-SECRET-KEY-1SHORT", `${key}\n${key}`, "not a key"]) {
      assert.throws(
        () => parseIdentity(bad),
        (error: Error) =>
          error.name === "OffsiteIdentityError" && !error.message.includes("SHORT") && !error.message.includes(key),
      );
    }
  });
});
