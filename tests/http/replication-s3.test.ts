// Replication into the offsite S3 bucket (OPSTAGE_REPLICATION=s3), against a real S3 server
// (s3rver) on a loopback port: Litestream writes a generation's snapshot and WAL segments under
// the offsite prefix + /replica, and the status shows the uploads. Only the writes: s3rver answers
// ListObjects with a "/" delimiter wrongly for nested prefixes, so `litestream restore` cannot
// read a replica back from it (the round trip is tested with a folder and with SFTP).
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { startServer } from "../support/server";
import { signIn } from "../support/session";
import { startS3Server } from "../support/s3-server";
import { tempDir } from "../support/temp";
import { startRowWriter, waitFor } from "../support/replication";

test("replication to S3 uploads a snapshot and WAL segments under the offsite prefix while a writer commits", async () => {
  const s3 = await startS3Server();
  const dataDir = tempDir();
  const server = await startServer({
    dataDir,
    env: {
      ...s3.env("opstage"),
      OPSTAGE_ADMIN_USERNAME: "owner",
      OPSTAGE_ADMIN_PASSWORD: "owner-password-123",
      OPSTAGE_REPLICATION: "s3",
      OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
    },
  });
  const writer = await startRowWriter(path.join(dataDir, "opstage.db"), "s3");
  try {
    const replica = "opstage/replica/";
    const snapshot = await waitFor("a snapshot in the bucket", () =>
      s3.keys(replica).find((key) => /\/generations\/[0-9a-f]{16}\/snapshots\/[0-9a-f]{8}\.snapshot\.lz4$/.test(key)),
    );
    const generation = /\/generations\/([0-9a-f]{16})\//.exec(snapshot)![1]!;
    const segments = () => s3.keys(`${replica}generations/${generation}/wal/`).length;
    const before = segments();
    await waitFor("more WAL segments as the writer commits", () => segments() > before);

    const cookie = await signIn(server.url, "owner", "owner-password-123");
    const status = await waitFor("the status to show the S3 replica in sync", async () => {
      const answer = await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } });
      const body = (await answer.json()) as { state: string; replicaLabel: string; lastSync: string | null };
      return body.state === "ok" && body.lastSync ? body : null;
    });
    assert.match(status.replicaLabel, /opstage-offsite/);
    // The keys went to Litestream's environment, never into the file or the server's log.
    assert.doesNotMatch(server.output(), new RegExp(s3.secretAccessKey));
  } finally {
    await writer.stop();
    await server.stop();
    await s3.stop();
  }
});
