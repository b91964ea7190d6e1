// The heartbeat (OPSTAGE_HEARTBEAT_URL) against the built server and a monitor on 127.0.0.1: a
// GET per successful scheduled run, <url>/fail per failed one (the backup folder replaced by a
// file), and a ping the monitor refuses is logged without failing the backup. With an offsite
// target (s3rver), the success ping comes after the run's offsite copy, a copy that fails for good
// (the store down) pings /fail, and so does a run on a full backup folder (a real, full tmpfs).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startPingReceiver, type PingReceiver } from "../support/alert-receivers";
import { queryOne } from "../support/db";
import { startS3Server, type S3TestServer } from "../support/s3-server";
import { waitFor } from "../support/replication";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const CHECK = "/ping/5f1c9a34-heartbeat-check";
const SCHEDULED = `json_extract(metadataJson, '$.kind') = 'scheduled'`;

/** The scheduled runs' audit rows, the monitor's pings, and the schedule, of one test's server. */
function runProbes(current: () => { dataDir: string; monitor: PingReceiver; server: RunningServer; cookie: string }) {
  return {
    count: (action: string) =>
      queryOne<{ n: number }>(
        path.join(current().dataDir, "opstage.db"),
        `SELECT COUNT(*) AS n FROM AuditEvent WHERE action = ? AND ${SCHEDULED}`,
        action,
      ).n,
    pings: (suffix: string) =>
      current().monitor.received.filter((ping) => ping.method === "GET" && ping.path === `${CHECK}${suffix}`).length,
    setSchedule: async (cron: string | null) => {
      const { server, cookie } = current();
      const answer = await fetch(`${server.url}/api/admin/backup-schedule`, {
        method: "PUT",
        headers: { Cookie: cookie, "Content-Type": "application/json" },
        body: JSON.stringify({ cron, keep: 3 }),
      });
      assert.equal(answer.status, 200, await answer.text());
    },
  };
}

describe("the heartbeat", () => {
  let monitor: PingReceiver;
  let server: RunningServer;
  let dataDir: string;
  let cookie: string;

  before(async () => {
    monitor = await startPingReceiver();
    dataDir = tempDir();
    // tests/support/server.ts allows private targets: the monitor is on 127.0.0.1.
    server = await startServer({
      dataDir,
      env: {
        OPSTAGE_ADMIN_USERNAME: OWNER.username,
        OPSTAGE_ADMIN_PASSWORD: OWNER.password,
        OPSTAGE_HEARTBEAT_URL: `${monitor.url}${CHECK}`,
      },
    });
    cookie = await signIn(server.url, OWNER.username, OWNER.password);
  });
  after(async () => {
    await server.stop();
    await monitor.close();
  });

  const { count, pings, setSchedule } = runProbes(() => ({ dataDir, monitor, server, cookie }));

  test("a ping per successful scheduled run, /fail per failed one; a refused ping fails no backup", async () => {
    const backupDir = path.join(dataDir, "backups");
    monitor.answerWith(500);
    await setSchedule("* * * * * *"); // every second
    await waitFor("a run whose ping the monitor refused", () => pings("") >= 1 && count("backup.sqlite.created") >= 1);
    monitor.answerWith(200);
    await waitFor("two successful runs pinged", () => pings("") >= 3);
    // The backup folder replaced by a file: every backup fails (root ignores permissions, not this).
    renameSync(backupDir, `${backupDir}.away`);
    writeFileSync(backupDir, "not a folder\n");
    try {
      await waitFor("two failed runs pinged", () => pings("/fail") >= 2 && count("backup.sqlite.failed") >= 2);
    } finally {
      rmSync(backupDir);
      renameSync(`${backupDir}.away`, backupDir);
    }
    const successesBefore = count("backup.sqlite.created");
    await waitFor("a successful run after the failures", () => count("backup.sqlite.created") > successesBefore);
    await setSchedule(null);
    // Each run pings once it has recorded its outcome: the last one may still be on its way.
    await waitFor(
      "one ping per run",
      () => pings("") === count("backup.sqlite.created") && pings("/fail") === count("backup.sqlite.failed"),
      10_000,
      () =>
        `${JSON.stringify(monitor.received)} created ${count("backup.sqlite.created")} failed ${count("backup.sqlite.failed")}`,
    );
    assert.equal(monitor.received.length, pings("") + pings("/fail"), "nothing else reaches the monitor");
    assert.match(server.output(), /heartbeat \(success\) to the heartbeat URL at 127\.0\.0\.1:\d+ failed: HTTP 500/);
    assert.ok(!server.output().includes(CHECK), "the check's secret path is not logged");
  });
});

describe("the heartbeat with an offsite target", () => {
  let monitor: PingReceiver;
  let s3: S3TestServer;
  let server: RunningServer;
  let dataDir: string;
  let backupDir: string;
  let cookie: string;

  before(async () => {
    monitor = await startPingReceiver();
    s3 = await startS3Server();
    dataDir = tempDir();
    // The backup folder on a small tmpfs of its own: filling it is a real "no space left".
    backupDir = tempDir("opstage-backups-tmpfs-");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", backupDir]);
    server = await startServer({
      dataDir,
      env: {
        ...s3.env("heartbeat"),
        OPSTAGE_OFFSITE_KINDS: "scheduled",
        OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: "10",
        OPSTAGE_BACKUP_DIR: backupDir,
        OPSTAGE_ADMIN_USERNAME: OWNER.username,
        OPSTAGE_ADMIN_PASSWORD: OWNER.password,
        OPSTAGE_HEARTBEAT_URL: `${monitor.url}${CHECK}`,
      },
    });
    cookie = await signIn(server.url, OWNER.username, OWNER.password);
  });
  after(async () => {
    await server?.stop();
    await s3?.stop();
    await monitor?.close();
    execFileSync("umount", [backupDir]);
  });

  const { count, pings, setSchedule } = runProbes(() => ({ dataDir, monitor, server, cookie }));
  /** Every success ping so far followed an offsite copy: never more pings than copies. */
  const pingsFollowCopies = () => {
    const [sent, copied] = [pings(""), count("backup.offsite.copied")];
    assert.ok(sent <= copied, `${sent} success pings, but only ${copied} offsite copies done`);
  };

  test("success after the offsite copy; /fail when the copy fails for good or the backup folder is full", async () => {
    await setSchedule("*/2 * * * * *");
    await waitFor("two runs copied offsite and pinged", () => {
      pingsFollowCopies();
      return pings("") >= 2;
    });
    await setSchedule(null);

    // The store down: the backups succeed, their copies fail for good, the monitor hears /fail.
    await s3.stop();
    try {
      const created = count("backup.sqlite.created");
      await setSchedule("*/2 * * * * *");
      await waitFor(
        "a run whose offsite copy failed for good pinged /fail",
        () => {
          pingsFollowCopies();
          return pings("/fail") >= 1 && count("backup.offsite.failed") >= 1;
        },
        60_000,
      );
      assert.ok(count("backup.sqlite.created") > created, "the backup itself succeeded");
      await setSchedule(null);
    } finally {
      await s3.start();
    }
    await waitFor(
      "the copies in flight to end",
      () => count("backup.offsite.failed") + count("backup.offsite.copied") === count("backup.sqlite.created"),
      60_000,
    );

    // The backup folder full (the filler takes every free byte): the run fails and pings /fail.
    const failedBefore = pings("/fail");
    const filler = path.join(backupDir, "filler");
    const fd = openSync(filler, "w");
    const block = Buffer.alloc(1024 * 1024, 1);
    try {
      for (let size = block.length; size >= 512;) {
        try {
          writeSync(fd, block, 0, size);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          size >>= 1;
        }
      }
    } finally {
      closeSync(fd);
    }
    try {
      await setSchedule("*/2 * * * * *");
      await waitFor(
        "a run on the full folder pinged /fail",
        () => pings("/fail") > failedBefore && count("backup.sqlite.failed") >= 1,
      );
      await setSchedule(null);
    } finally {
      rmSync(filler);
    }
    // One ping per run: success per copied run, /fail per copy failed for good or backup failed.
    await waitFor(
      "one ping per run",
      () =>
        pings("") === count("backup.offsite.copied") &&
        pings("/fail") === count("backup.offsite.failed") + count("backup.sqlite.failed"),
      30_000,
      () => `${JSON.stringify(monitor.received)}`,
    );
  });
});
