// The Litestream replica encrypted with age, against the built server and a folder replica: no
// file in it is SQLite or lz4 data or holds a marker written into the database (each is age
// ciphertext); the console and `restore --at` restore it with the identity and refuse without it,
// saying what to give; a replica started plaintext keeps working, says so, and starts a new,
// encrypted generation once a recipient is set.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCli, startServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";
import { fileReplicaGenerations, newestReplicaWrite, waitFor } from "../support/replication";

const OWNER = { OPSTAGE_ADMIN_USERNAME: "owner", OPSTAGE_ADMIN_PASSWORD: "owner-password-123" };
const SQLITE_HEADER = Buffer.from("SQLite format 3\0");
const LZ4_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
const AGE_HEADER = Buffer.from("age-encryption.org/v1");

async function keyPair(): Promise<{ identity: string; recipient: string; file: string }> {
  const identity = await generateIdentity();
  const file = path.join(tempDir("opstage-key-"), "key.txt");
  writeFileSync(file, `# created: by the test\n${identity}\n`, { mode: 0o600 });
  return { identity, recipient: await identityToRecipient(identity), file };
}

function replicationEnv(replicaDir: string, recipient?: string): Record<string, string> {
  return {
    ...OWNER,
    OPSTAGE_REPLICATION: "file",
    OPSTAGE_REPLICATION_PATH: replicaDir,
    OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
    ...(recipient ? { OPSTAGE_REPLICATION_AGE_RECIPIENT: recipient } : {}),
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

// A commit reaches the replica within the sync interval (1 s) plus Litestream's look at the WAL
// (250 ms) plus the upload; 0.75 s more for a machine shared with other builds.
const SYNC_BOUND_MS = 2000;

/**
 * Writes a marker row into the live database; resolves once the replica was written to more than
 * the sync bound after it (filler rows keep Litestream uploading), so the replica holds it.
 */
async function writeMarker(dbFile: string, replicaDir: string, marker: string): Promise<number> {
  const db = new Database(dbFile);
  try {
    const insert = db.prepare(
      `INSERT INTO AuditEvent (id, actorType, action, result, message, createdAt)
       VALUES (?, 'SYSTEM', 'test.marker', 'SUCCESS', ?, CURRENT_TIMESTAMP)`,
    );
    insert.run(marker, marker);
    const written = Date.now();
    let filler = 0;
    await waitFor(`the marker ${marker} to reach the replica`, () => {
      insert.run(`${marker}-filler-${filler++}`, "filler");
      return newestReplicaWrite(replicaDir) > written + SYNC_BOUND_MS;
    });
    return written;
  } finally {
    db.close();
  }
}

function hasMarker(dbFile: string, marker: string): boolean {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT 1 FROM AuditEvent WHERE id = ?").get(marker) !== undefined;
  } finally {
    db.close();
  }
}

function assertEncrypted(files: string[], marker: string): void {
  assert.ok(files.length >= 2, `a snapshot and WAL segments: ${files.join(", ")}`);
  for (const file of files) {
    const bytes = readFileSync(file);
    const head = bytes.subarray(0, 32);
    assert.ok(!head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER), `${file} is not a SQLite file`);
    assert.ok(!head.subarray(0, LZ4_MAGIC.length).equals(LZ4_MAGIC), `${file} is not an lz4 frame`);
    assert.ok(head.subarray(0, AGE_HEADER.length).equals(AGE_HEADER), `${file} is age ciphertext`);
    assert.equal(bytes.indexOf(marker), -1, `${file} does not hold the marker`);
  }
}

type Status = { encryptionLabel: string; encryption: { recipient: string | null; since: string } | null };

describe("an encrypted replica", () => {
  test("holds only age ciphertext; the console and restore --at restore it with the identity, refuse without", async () => {
    const key = await keyPair();
    const other = await keyPair();
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const dbFile = path.join(dataDir, "opstage.db");
    const env = replicationEnv(replicaDir, key.recipient);
    const server = await startServer({ dataDir, env });
    const marker = "marker-7f3c1e9a-encrypted-replica";
    try {
      await waitFor("the first generation", () => fileReplicaGenerations(replicaDir).length > 0);
      await writeMarker(dbFile, replicaDir, marker);
      assertEncrypted(filesUnder(replicaDir), marker);

      const cookie = await signIn(server.url, "owner", "owner-password-123");
      const status = (await (
        await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } })
      ).json()) as Status;
      assert.equal(status.encryption?.recipient, key.recipient);
      assert.match(status.encryptionLabel, new RegExp(`^encrypted to ${key.recipient}`));

      const restore = (identity?: string) =>
        fetch(`${server.url}/api/admin/replication/restore`, {
          method: "POST",
          headers: { Cookie: cookie, "Content-Type": "application/json" },
          body: JSON.stringify({ at: "latest", identity }),
        });
      // The console's check step takes the identity the same way, and refuses without it.
      const check = (identity?: string) =>
        fetch(`${server.url}/api/admin/replication/restore/check`, {
          method: "POST",
          headers: { Cookie: cookie, "Content-Type": "application/json" },
          body: JSON.stringify({ at: "latest", identity }),
        });
      const unchecked = await check();
      assert.equal(unchecked.status, 400);
      assert.match(await unchecked.text(), new RegExp(`encrypted to ${key.recipient}: give its age identity`));
      const checked = await check(readFileSync(key.file, "utf8"));
      const result = (await checked.json()) as { checkId: string; verification: { restorable: boolean } };
      assert.equal(checked.status, 200, JSON.stringify(result));
      assert.equal(result.verification.restorable, true);
      const cancelled = await fetch(`${server.url}/api/admin/replication/restore/check/${result.checkId}`, {
        method: "DELETE",
        headers: { Cookie: cookie },
      });
      assert.equal(cancelled.status, 200);

      const without = await restore();
      const refusal = (await without.json()) as { error: { message: string } };
      assert.equal(without.status, 400, JSON.stringify(refusal));
      assert.match(refusal.error.message, new RegExp(`encrypted to ${key.recipient}: give its age identity`));
      assert.match(refusal.error.message, /Nothing was changed/);
      const wrong = await restore(other.identity);
      assert.equal(wrong.status, 400);
      assert.match(
        ((await wrong.json()) as { error: { message: string } }).error.message,
        new RegExp(`belongs to ${other.recipient}`),
      );
      const done = await restore(readFileSync(key.file, "utf8"));
      assert.equal(done.status, 200, await done.clone().text());
      assert.ok(hasMarker(dbFile, marker), "the restored database holds the marker");
      assert.deepEqual(
        readdirSync(dataDir).filter((name) => name.startsWith(".tmp-pitr")),
        [],
        "the temp configuration with the identity is gone",
      );
      assert.ok(!server.output().includes(key.identity), "the identity is never logged");
      await writeMarker(dbFile, replicaDir, `${marker}-after`);
    } finally {
      await server.stop();
    }

    // The server is gone: data dir lost, restore from the replica with the CLI.
    rmSync(dataDir, { recursive: true, force: true });
    const refused = runCli(dataDir, ["restore", "--at", "latest", "--yes"], "", undefined, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`encrypted to ${key.recipient}: give its age identity .*--identity-file`));
    // Without the recipient in the settings, the encrypted files are recognised as such.
    const unknown = runCli(dataDir, ["restore", "--at", "latest", "--yes"], "", undefined, replicationEnv(replicaDir));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /is encrypted with age and no identity was given: give its age identity/);
    const restored = runCli(
      dataDir,
      ["restore", "--at", "latest", "--yes", "--identity-file", key.file],
      "",
      undefined,
      env,
    );
    assert.equal(restored.code, 0, restored.stderr);
    assert.ok(hasMarker(dbFile, `${marker}-after`));
    assert.ok(!`${restored.stdout}${restored.stderr}`.includes(key.identity), "the identity is never printed");
  });

  test("a replica started plaintext keeps working, says so, and encrypts from a new generation on", async () => {
    const key = await keyPair();
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const dbFile = path.join(dataDir, "opstage.db");
    let server = await startServer({ dataDir, env: replicationEnv(replicaDir) });
    let plainMoment: number;
    try {
      await waitFor("the first generation", () => fileReplicaGenerations(replicaDir).length > 0);
      await writeMarker(dbFile, replicaDir, "plain-marker");
      // The marker is in the replica by this moment; the next row is written after it.
      plainMoment = Date.now();
      await waitFor("the clock to pass the moment", () => Date.now() > plainMoment + 10);
      await writeMarker(dbFile, replicaDir, "plain-later");
      const cookie = await signIn(server.url, "owner", "owner-password-123");
      const status = (await (
        await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } })
      ).json()) as Status;
      assert.match(status.encryptionLabel, /^not encrypted/);
    } finally {
      await server.stop();
    }
    const [plainGeneration] = fileReplicaGenerations(replicaDir);
    const env = replicationEnv(replicaDir, key.recipient);
    server = await startServer({ dataDir, env });
    try {
      const generations = await waitFor("a new generation", () => {
        const now = fileReplicaGenerations(replicaDir);
        return now.length === 2 ? now : null;
      });
      await writeMarker(dbFile, replicaDir, "encrypted-marker");
      const encrypted = generations.find((g) => g !== plainGeneration)!;
      assertEncrypted(filesUnder(path.join(replicaDir, "generations", encrypted)), "encrypted-marker");
      assert.match(server.output(), new RegExp(`new generation: the replica is now encrypted to ${key.recipient}`));
    } finally {
      await server.stop();
    }
    // The plaintext generation's moment restores with the identity given too; the latest is encrypted.
    const plain = runCli(
      dataDir,
      ["restore", "--at", new Date(plainMoment).toISOString(), "--yes", "--identity-file", key.file],
      "",
      undefined,
      env,
    );
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(hasMarker(dbFile, "plain-marker"));
    assert.ok(!hasMarker(dbFile, "plain-later"), "nothing written after the moment");
    assert.ok(!hasMarker(dbFile, "encrypted-marker"));
    const latest = runCli(
      dataDir,
      ["restore", "--at", "latest", "--yes", "--identity-file", key.file],
      "",
      undefined,
      env,
    );
    assert.equal(latest.code, 0, latest.stderr);
    assert.ok(hasMarker(dbFile, "encrypted-marker"));
  });
});
