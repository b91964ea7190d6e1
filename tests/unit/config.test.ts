import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../lib/config";

const SECRET = "s".repeat(32);

function refusal(env: Record<string, string>, consumer: "server" | "cli" = "server"): string {
  try {
    parseConfig(env, consumer);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("configuration", () => {
  test("defaults follow Opstage's documented values", () => {
    const config = parseConfig({ OPSTAGE_SESSION_SECRET: SECRET });
    assert.equal(config.dataDir, "/app/data");
    assert.equal(config.databasePath, "/app/data/opstage.db");
    assert.equal(config.backupDir, "/app/data/backups");
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, 8080);
    assert.equal(config.sessionTtlSeconds, 28800);
    assert.equal(config.publicBaseUrl, undefined);
  });

  test("the backup dir follows the data dir unless set", () => {
    assert.equal(
      parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_DATA_DIR: "/srv/o" }).backupDir,
      "/srv/o/backups",
    );
    assert.equal(
      parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_DATA_DIR: "/srv/o", OPSTAGE_BACKUP_DIR: "/mnt/b" })
        .backupDir,
      "/mnt/b",
    );
  });

  test("each bad value is named in one line", () => {
    assert.match(refusal({}), /^Invalid configuration: OPSTAGE_SESSION_SECRET is required/);
    assert.match(refusal({ OPSTAGE_SESSION_SECRET: "short" }), /OPSTAGE_SESSION_SECRET must be at least 32/);
    assert.match(refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PORT: "eighty" }), /OPSTAGE_PORT must be a number/);
    assert.match(refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PORT: "70000" }), /OPSTAGE_PORT must be between/);
    assert.match(
      refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PUBLIC_BASE_URL: "opstage.local" }),
      /OPSTAGE_PUBLIC_BASE_URL must be an http\(s\) URL/,
    );
    assert.match(
      refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_SESSION_TTL_SECONDS: "10" }),
      /OPSTAGE_SESSION_TTL_SECONDS must be at least 60/,
    );
    assert.match(
      refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_ADMIN_PASSWORD: "long-enough-password" }),
      /OPSTAGE_ADMIN_USERNAME is required when OPSTAGE_ADMIN_PASSWORD is set/,
    );
    for (const message of [refusal({}), refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PORT: "x" })]) {
      assert.ok(!message.includes("\n"), "one line");
    }
  });

  test("the backup schedule's first values: a cron expression or off, and a retention count", () => {
    assert.deepEqual(parseConfig({ OPSTAGE_SESSION_SECRET: SECRET }).backupSchedule, { cron: null, keep: 10 });
    assert.deepEqual(
      parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_BACKUP_SCHEDULE: "0 3 * * *", OPSTAGE_BACKUP_KEEP: "7" })
        .backupSchedule,
      { cron: "0 3 * * *", keep: 7 },
    );
    assert.equal(
      parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_BACKUP_SCHEDULE: "off" }).backupSchedule.cron,
      null,
    );
    assert.match(
      refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_BACKUP_SCHEDULE: "daily" }),
      /OPSTAGE_BACKUP_SCHEDULE must be a cron expression/,
    );
    assert.match(
      refusal({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_BACKUP_KEEP: "0" }),
      /OPSTAGE_BACKUP_KEEP must be at least 1/,
    );
  });

  test("empty values count as unset; the CLI needs no session secret", () => {
    const config = parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PUBLIC_BASE_URL: "", OPSTAGE_PORT: "" });
    assert.equal(config.port, 8080);
    assert.equal(config.publicBaseUrl, undefined);
    assert.equal(parseConfig({}, "cli").dataDir, "/app/data");
    assert.equal(
      parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, OPSTAGE_PUBLIC_BASE_URL: "https://ops.example.com/" })
        .publicBaseUrl,
      "https://ops.example.com",
    );
  });
});
