// The heartbeat (OPSTAGE_HEARTBEAT_URL) against the built server and a monitor on 127.0.0.1: a
// GET per successful scheduled run, <url>/fail per failed one (the backup folder replaced by a
// file), and a ping the monitor refuses is logged without failing the backup.
import assert from "node:assert/strict";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startPingReceiver, type PingReceiver } from "../support/alert-receivers";
import { queryOne } from "../support/db";
import { waitFor } from "../support/replication";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const CHECK = "/ping/5f1c9a34-heartbeat-check";
const SCHEDULED = `json_extract(metadataJson, '$.kind') = 'scheduled'`;

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

  const count = (action: string) =>
    queryOne<{ n: number }>(
      path.join(dataDir, "opstage.db"),
      `SELECT COUNT(*) AS n FROM AuditEvent WHERE action = ? AND ${SCHEDULED}`,
      action,
    ).n;
  const pings = (suffix: string) =>
    monitor.received.filter((ping) => ping.method === "GET" && ping.path === `${CHECK}${suffix}`).length;
  const setSchedule = async (cron: string | null) => {
    const answer = await fetch(`${server.url}/api/admin/backup-schedule`, {
      method: "PUT",
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: JSON.stringify({ cron, keep: 3 }),
    });
    assert.equal(answer.status, 200, await answer.text());
  };

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
