// OPSTAGE_RESTORE_ON_EMPTY against the built server, a real S3 server (s3rver) and a real
// Litestream folder replica: `serve` on an empty data folder brings the backup's users back
// (from the newest offsite copy that verifies, skipping a damaged newer one; or from the
// encrypted replica's latest moment), audits it in the restored database and says so in the log.
// A restore that cannot be done (wrong identity, an empty bucket, an empty replica) exits
// non-zero with one line and leaves the data folder without a database or a temp file.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { ConfigError, parseConfig } from "../../lib/config";
import { queryOne } from "../support/db";
import { waitFor } from "../support/replication";
import { startS3Server, type S3TestServer } from "../support/s3-server";
import { runCli, runServerToExit, startServer, TEST_SECRET } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const VIEWER = { username: "drill-viewer", password: "drill-password-123" };
const PREFIX = "prod";

let s3: S3TestServer;
let identityFile: string;
let wrongIdentityFile: string;
let recipient: string;
let replicaDir: string;
/** The offsite copies the source server made, oldest first; the newest is damaged in the bucket. */
const copies: string[] = [];

async function keyFile(identity: string): Promise<string> {
  const file = path.join(tempDir("opstage-key-"), "identity.txt");
  writeFileSync(file, `# created: by the test\n# public key: ${await identityToRecipient(identity)}\n${identity}\n`, {
    mode: 0o600,
  });
  return file;
}

function replicaEnv(): Record<string, string> {
  return {
    OPSTAGE_REPLICATION: "file",
    OPSTAGE_REPLICATION_PATH: replicaDir,
    OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
    OPSTAGE_REPLICATION_AGE_RECIPIENT: recipient,
  };
}

/** What an empty start may leave in the data folder: its lock and an empty backup folder. */
function assertLeftEmpty(dataDir: string): void {
  const left = readdirSync(dataDir).filter((name) => name !== ".opstage.lock" && name !== "backups");
  assert.deepEqual(left, [], `the data folder holds ${left.join(", ")}`);
  const backups = path.join(dataDir, "backups");
  if (existsSync(backups)) assert.deepEqual(readdirSync(backups), [], "the backup folder holds a fetched copy");
}

function restoredAudit(dataDir: string): { targetId: string; metadata: Record<string, unknown> } {
  const row = queryOne<{ targetId: string; metadataJson: string } | undefined>(
    path.join(dataDir, "opstage.db"),
    `SELECT targetId, metadataJson FROM AuditEvent WHERE action = 'backup.sqlite.restored' ORDER BY createdAt DESC LIMIT 1`,
  );
  assert.ok(row, "the restore is audited in the restored database");
  return { targetId: row.targetId, metadata: JSON.parse(row.metadataJson) as Record<string, unknown> };
}

function fatalLines(output: string): string[] {
  return output.split("\n").filter((line) => /^\[opstage\] FATAL/i.test(line));
}

before(async () => {
  s3 = await startS3Server();
  const identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  identityFile = await keyFile(identity);
  wrongIdentityFile = await keyFile(await generateIdentity());
  replicaDir = tempDir("opstage-replica-");

  // The server that is lost: two encrypted offsite copies and an encrypted folder replica.
  const sourceDir = tempDir();
  const env = {
    ...s3.env(PREFIX),
    OPSTAGE_OFFSITE_AGE_RECIPIENT: recipient,
    OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: "100",
    ...replicaEnv(),
  };
  const source = await startServer({
    dataDir: sourceDir,
    env: { ...env, OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  try {
    const created = runCli(
      sourceDir,
      ["user", "create", VIEWER.username, "--role", "viewer"],
      VIEWER.password,
      undefined,
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const cookie = await signIn(source.url, OWNER.username, OWNER.password);
    for (let i = 0; i < 2; i++) {
      const made = await fetch(`${source.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
      const answer = await made.text();
      assert.equal(made.status, 201, answer);
      const { name } = JSON.parse(answer) as { name: string };
      await waitFor(
        `the offsite copy of ${name}`,
        async () => {
          const listed = (await (
            await fetch(`${source.url}/api/admin/backups`, { headers: { Cookie: cookie } })
          ).json()) as { backups: { name: string; offsite: { status: string } | null }[] };
          return listed.backups.find((backup) => backup.name === name)?.offsite?.status === "done";
        },
        60_000,
      );
      copies.push(`${name}.age`);
    }
  } finally {
    // SIGTERM: Litestream ships what it has not yet before the server exits.
    await source.stop();
  }
  // The newest copy is damaged in the bucket: the restore must skip it and say so.
  const newest = s3.objectFile(`${PREFIX}/${copies[1]}`);
  const bytes = readFileSync(newest);
  const middle = bytes.length >> 1;
  bytes[middle] = bytes[middle]! ^ 0xff;
  writeFileSync(newest, bytes);
});

after(async () => {
  await s3?.stop();
});

describe("OPSTAGE_RESTORE_ON_EMPTY", () => {
  test("a bad value stops start-up with one line naming the variable", () => {
    assert.throws(
      () => parseConfig({ OPSTAGE_SESSION_SECRET: TEST_SECRET, OPSTAGE_RESTORE_ON_EMPTY: "yes" }),
      (error: unknown) =>
        error instanceof ConfigError && /OPSTAGE_RESTORE_ON_EMPTY must be off, offsite or replica/.test(error.message),
    );
    assert.throws(
      () => parseConfig({ OPSTAGE_SESSION_SECRET: TEST_SECRET, OPSTAGE_RESTORE_ON_EMPTY: "replica" }),
      /OPSTAGE_REPLICATION is required when OPSTAGE_RESTORE_ON_EMPTY=replica/,
    );
    assert.throws(
      () => parseConfig({ OPSTAGE_SESSION_SECRET: TEST_SECRET, OPSTAGE_RESTORE_ON_EMPTY: "offsite" }),
      /OPSTAGE_OFFSITE_BUCKET is required when OPSTAGE_RESTORE_ON_EMPTY=offsite/,
    );
  });

  test("offsite: `serve` on an empty folder restores the newest copy that verifies; its users sign in", async () => {
    const dataDir = tempDir();
    const server = await startServer({
      dataDir,
      env: {
        ...s3.env(PREFIX),
        OPSTAGE_RESTORE_ON_EMPTY: "offsite",
        OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: identityFile,
      },
    });
    try {
      await signIn(server.url, OWNER.username, OWNER.password);
      await signIn(server.url, VIEWER.username, VIEWER.password);
      const output = server.output();
      assert.match(
        output,
        new RegExp(`offsite copy ${copies[1]!.replace(/\./g, "\\.")} does not verify, trying the next one: .*damaged`),
      );
      assert.match(
        output,
        new RegExp(`restored on an empty start: offsite copy ${copies[0]!.replace(/\./g, "\\.")} from `),
      );
      assert.doesNotMatch(output, /created the first owner/);
      assert.ok(!output.includes("AGE-SECRET-KEY-1"), "the identity is never logged");
    } finally {
      await server.stop();
    }
    const audit = restoredAudit(dataDir);
    assert.equal(audit.targetId, `offsite copy ${copies[0]}`);
    const onEmpty = audit.metadata.onEmptyStart as { source: string; copy: string; from: string; skipped: unknown[] };
    assert.equal(onEmpty.source, "offsite");
    assert.equal(onEmpty.copy, copies[0]);
    assert.match(onEmpty.from, new RegExp(`bucket ${s3.bucket}/${PREFIX}`));
    assert.equal(onEmpty.skipped.length, 1);
  });

  test("replica: `serve` on an empty folder restores the encrypted replica's latest moment; its users sign in", async () => {
    const dataDir = tempDir();
    const server = await startServer({
      dataDir,
      env: {
        ...replicaEnv(),
        OPSTAGE_RESTORE_ON_EMPTY: "replica",
        OPSTAGE_REPLICATION_AGE_IDENTITY_FILE: identityFile,
      },
    });
    try {
      await signIn(server.url, OWNER.username, OWNER.password);
      await signIn(server.url, VIEWER.username, VIEWER.password);
      assert.match(server.output(), /restored on an empty start: the replica at .*, its latest moment/);
      assert.doesNotMatch(server.output(), /created the first owner/);
    } finally {
      await server.stop();
    }
    const onEmpty = restoredAudit(dataDir).metadata.onEmptyStart as { source: string; from: string; moment: string };
    assert.equal(onEmpty.source, "replica");
    assert.equal(onEmpty.moment, "latest");
    assert.ok(onEmpty.from.includes(replicaDir), onEmpty.from);
  });

  const refusals: [string, () => Record<string, string>, RegExp][] = [
    [
      "the wrong identity",
      () => ({
        ...s3.env(PREFIX),
        OPSTAGE_RESTORE_ON_EMPTY: "offsite",
        OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: wrongIdentityFile,
      }),
      /none of the 2 offsite copies .* could be restored; the newest, .*: This identity cannot decrypt/,
    ],
    [
      "an empty bucket prefix",
      () => ({
        ...s3.env("nothing-here"),
        OPSTAGE_RESTORE_ON_EMPTY: "offsite",
        OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: identityFile,
      }),
      /there is no offsite copy in .*nothing-here/,
    ],
    [
      "an empty replica folder",
      () => ({
        ...replicaEnv(),
        OPSTAGE_REPLICATION_PATH: tempDir("opstage-replica-"),
        OPSTAGE_RESTORE_ON_EMPTY: "replica",
      }),
      /holds nothing to restore/,
    ],
  ];
  for (const [what, env, reason] of refusals) {
    test(`${what}: exit 1 with one line saying what failed and what to do; the data folder stays empty`, async () => {
      const dataDir = tempDir();
      const { code, output } = await runServerToExit({ dataDir, env: env() });
      assert.equal(code, 1, output);
      const fatal = fatalLines(output);
      assert.equal(fatal.length, 1, output);
      assert.match(fatal[0]!, /OPSTAGE_RESTORE_ON_EMPTY=(offsite|replica): the database could not be restored/);
      assert.match(fatal[0]!, reason);
      assert.match(
        fatal[0]!,
        /Nothing was created there\. Fix that and start again, or set OPSTAGE_RESTORE_ON_EMPTY=off/,
      );
      assert.doesNotMatch(output, /created the first owner/);
      assertLeftEmpty(dataDir);
    });
  }
});
