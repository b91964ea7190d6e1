// OPSTAGE_REPLICATION_* → the replication settings and Litestream's generated configuration.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../lib/config";
import { durationMs, prepareLitestream } from "../../lib/replication/litestream-config";
import { parseRestoreMoment, PointInTimeError } from "../../lib/replication/point-in-time";
import { goDurationMs, lagWords, restorableWindow, spanHolding } from "../../lib/replication/restorable-window";
import { tempDir } from "../support/temp";

const SECRET = "s".repeat(32);

function refusal(env: Record<string, string>): string {
  try {
    parseConfig({ OPSTAGE_SESSION_SECRET: SECRET, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("replication settings", () => {
  test("off unless set; defaults of 1 s sync, daily snapshots, 3 days kept", () => {
    const config = parseConfig({ OPSTAGE_SESSION_SECRET: SECRET });
    assert.equal(config.replication.replica, "off");
    const file = parseConfig({
      OPSTAGE_SESSION_SECRET: SECRET,
      OPSTAGE_REPLICATION: "file",
      OPSTAGE_REPLICATION_PATH: "/mnt/replica",
    });
    assert.deepEqual(
      { ...file.replication, sftp: undefined },
      {
        replica: "file",
        path: "/mnt/replica",
        sftp: undefined,
        recipient: undefined,
        syncInterval: "1s",
        snapshotInterval: "24h",
        retention: "72h",
        uploadTimeout: "60s",
        alertAfter: "60s",
        restoreCheckTtl: "15m",
      },
    );
  });

  test("each bad or missing value is refused with one line naming the variable", () => {
    assert.match(refusal({ OPSTAGE_REPLICATION: "rsync" }), /OPSTAGE_REPLICATION must be off, file, sftp or s3/);
    assert.match(
      refusal({ OPSTAGE_REPLICATION: "file" }),
      /OPSTAGE_REPLICATION_PATH is required when OPSTAGE_REPLICATION=file/,
    );
    assert.match(
      refusal({ OPSTAGE_REPLICATION: "file", OPSTAGE_REPLICATION_PATH: "replica" }),
      /OPSTAGE_REPLICATION_PATH must be an absolute path/,
    );
    assert.match(
      refusal({ OPSTAGE_REPLICATION: "sftp", OPSTAGE_REPLICATION_PATH: "/r", OPSTAGE_REPLICATION_SFTP_HOST: "h" }),
      /OPSTAGE_REPLICATION_SFTP_USER is required when OPSTAGE_REPLICATION=sftp/,
    );
    assert.match(refusal({ OPSTAGE_REPLICATION_SYNC_INTERVAL: "1 second" }), /must be a duration such as 1s/);
    assert.match(
      refusal({ OPSTAGE_REPLICATION_SFTP_PORT: "70000" }),
      /OPSTAGE_REPLICATION_SFTP_PORT must be between 1 and 65535/,
    );
  });

  test("litestream.yml: written under a temp name then renamed, mode 0600, values quoted", async () => {
    const dataDir = tempDir();
    const config = parseConfig({
      OPSTAGE_SESSION_SECRET: SECRET,
      OPSTAGE_DATA_DIR: dataDir,
      OPSTAGE_REPLICATION: "sftp",
      OPSTAGE_REPLICATION_PATH: "/backups/op: stage",
      OPSTAGE_REPLICATION_SFTP_HOST: "::1",
      OPSTAGE_REPLICATION_SFTP_PORT: "2222",
      OPSTAGE_REPLICATION_SFTP_USER: "replica",
      OPSTAGE_REPLICATION_SFTP_KEY_PATH: "/keys/id_ed25519",
      OPSTAGE_REPLICATION_SYNC_INTERVAL: "5s",
    });
    const setup = await prepareLitestream(config);
    assert.ok(setup);
    const file = path.join(dataDir, "litestream.yml");
    assert.equal(setup.configPath, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const yaml = readFileSync(file, "utf8");
    assert.match(yaml, /host: "\[::1\]:2222"/);
    assert.match(yaml, /path: "\/backups\/op: stage"/);
    assert.match(yaml, /sync-interval: "5s"/);
    assert.match(yaml, /monitor-interval: "250ms"/);
    assert.match(yaml, /key-path: "\/keys\/id_ed25519"/);
    assert.equal(durationMs("500ms"), 500);
    assert.equal(durationMs("2h"), 7_200_000);
  });

  test("an age recipient (its own, else the offsite one) goes into the replica's entry; a bad one is refused", async () => {
    const own = `age1${"q".repeat(58)}`;
    const offsite = `age1${"p".repeat(58)}`;
    assert.match(
      refusal({ OPSTAGE_REPLICATION_AGE_RECIPIENT: "AGE-SECRET-KEY-1X" }),
      /OPSTAGE_REPLICATION_AGE_RECIPIENT must be an age X25519 recipient/,
    );
    const base = {
      OPSTAGE_SESSION_SECRET: SECRET,
      OPSTAGE_REPLICATION: "file",
      OPSTAGE_REPLICATION_PATH: "/mnt/replica",
      OPSTAGE_OFFSITE_BUCKET: "opstage-copies",
      OPSTAGE_OFFSITE_ACCESS_KEY_ID: "key",
      OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: "secret",
      OPSTAGE_OFFSITE_AGE_RECIPIENT: offsite,
    };
    const borrowed = await prepareLitestream(parseConfig({ ...base, OPSTAGE_DATA_DIR: tempDir() }), {
      useDatabase: false,
    });
    assert.equal(borrowed?.recipient, offsite);
    assert.match(borrowed!.yaml, new RegExp(`        age:\n          recipients:\n            - "${offsite}"\n`));
    assert.doesNotMatch(borrowed!.yaml, /identities/);
    const mine = await prepareLitestream(
      parseConfig({ ...base, OPSTAGE_DATA_DIR: tempDir(), OPSTAGE_REPLICATION_AGE_RECIPIENT: own }),
      { useDatabase: false },
    );
    assert.equal(mine?.recipient, own);
    const plain = await prepareLitestream(
      parseConfig({
        OPSTAGE_SESSION_SECRET: SECRET,
        OPSTAGE_DATA_DIR: tempDir(),
        OPSTAGE_REPLICATION: "file",
        OPSTAGE_REPLICATION_PATH: "/mnt/replica",
      }),
      { useDatabase: false },
    );
    assert.equal(plain?.recipient, null);
    assert.doesNotMatch(plain!.yaml, /age:/);
  });

  test("s3 without an offsite target is refused, saying where to set one", async () => {
    const config = parseConfig({
      OPSTAGE_SESSION_SECRET: SECRET,
      OPSTAGE_DATA_DIR: tempDir(),
      OPSTAGE_REPLICATION: "s3",
    });
    await assert.rejects(prepareLitestream(config, { useDatabase: false }), /no offsite target is configured/);
  });

  test("a moment to restore to needs its zone", () => {
    assert.equal(parseRestoreMoment("latest"), "latest");
    assert.equal(
      (parseRestoreMoment("2026-01-02T03:04:05.678+01:00") as Date).toISOString(),
      "2026-01-02T02:04:05.678Z",
    );
    for (const bad of ["2026-01-02 03:04", "2026-01-02T03:04:05", "yesterday", "2999-01-01T00:00:00Z"]) {
      assert.throws(() => parseRestoreMoment(bad), PointInTimeError, bad);
    }
  });

  test("the restorable window spans every generation; a lag below a second or below zero is up to date", () => {
    const generations = [
      { generation: "b", lag: "-203ms", start: "2026-12-07T15:40:00Z", end: "2026-12-07T15:42:59Z" },
      { generation: "a", lag: "2h0m5s", start: "2026-12-07T10:00:00Z", end: "2026-12-07T10:05:00Z" },
    ];
    const window = restorableWindow(generations)!;
    assert.deepEqual([window.from, window.to], ["2026-12-07T10:00:00Z", "2026-12-07T15:42:59Z"]);
    assert.deepEqual(
      window.spans.map((span) => span.generation),
      ["a", "b"],
    );
    assert.equal(spanHolding(window.spans, Date.parse("2026-12-07T10:03:00Z"))?.generation, "a");
    assert.equal(spanHolding(window.spans, Date.parse("2026-12-07T15:42:59.500Z"))?.generation, "b");
    assert.equal(spanHolding(window.spans, Date.parse("2026-12-07T12:00:00Z")), null, "between two generations");
    assert.equal(restorableWindow([]), null);
    assert.equal(lagWords("-203ms"), "up to date (less than a second)");
    assert.equal(lagWords("450ms"), "up to date (less than a second)");
    assert.equal(lagWords("1.5s"), "2 s behind");
    assert.equal(lagWords("2m3s"), "2 min behind");
    assert.equal(lagWords("2h0m5s"), "2.0 h behind");
    assert.equal(lagWords(null), "unknown");
    assert.equal(goDurationMs("1m2.5s"), 62_500);
    assert.equal(goDurationMs("soon"), null);
  });
});
