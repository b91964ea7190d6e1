// Continuous replication with Litestream, against the built server and real replicas: a folder
// (`file`) and OpenSSH's sshd (`sftp`), with a writer process committing numbered rows. What is
// checked: backups under the writer, kill -9 of Litestream, and a restart or kill -9 of the server
// start no new generation (each would be a full snapshot upload); the drill (server killed under
// the writer, data dir deleted, restore to a moment, start); point-in-time exactness from the CLI
// and the console; 30 s without the SFTP server.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { startSftpServer } from "../support/sftp-server";
import { startWebhookReceiver } from "../support/alert-receivers";
import { tempDir } from "../support/temp";
import {
  assertRestoredPrefix,
  fileReplicaGenerations,
  newestReplicaWrite,
  readPid,
  rowNumbers,
  startRowWriter,
  waitFor,
} from "../support/replication";

const OWNER = { OPSTAGE_ADMIN_USERNAME: "owner", OPSTAGE_ADMIN_PASSWORD: "owner-password-123" };
// A commit reaches the replica within the sync interval (1 s) plus Litestream's look at the WAL
// (250 ms) plus the upload; 0.75 s more for a machine shared with other builds.
const SYNC_BOUND_MS = 2000;

function fileReplicationEnv(replicaDir: string): Record<string, string> {
  return {
    ...OWNER,
    OPSTAGE_REPLICATION: "file",
    OPSTAGE_REPLICATION_PATH: replicaDir,
    OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
  };
}

// A process that has exited but was not yet reaped (a zombie) still answers kill(pid, 0): an
// orphaned Litestream is reaped by init, whenever init gets to it. Its state in /proc says Z.
function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Every file of a `file` replica with its size and modification time, for a failure's message. */
function describeReplicaFiles(replicaDir: string): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stats = statSync(full, { bigint: true });
        lines.push(`${path.relative(replicaDir, full)} ${stats.size} bytes, mtime ${stats.mtimeNs}`);
      }
    }
  };
  walk(replicaDir);
  return lines.sort().join("\n");
}

async function killHard(server: RunningServer): Promise<void> {
  const exited = new Promise((resolve) => server.process.once("exit", resolve));
  server.process.kill("SIGKILL");
  await exited;
}

describe("replication to a folder", () => {
  test("a restart and a kill -9 start no new generation while only the server writes", async () => {
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const dbFile = path.join(dataDir, "opstage.db");
    const env = fileReplicationEnv(replicaDir);
    let server = await startServer({ dataDir, env });
    try {
      await waitFor("the first generation", () => fileReplicaGenerations(replicaDir).length > 0);
      const generation = fileReplicaGenerations(replicaDir);
      for (const stop of ["a clean restart", "kill -9 of the server"]) {
        // A second process commits (one row a millisecond: Litestream checkpoints every second or
        // so) and stops before the server does: nothing writes while Litestream is down.
        const writer = await startRowWriter(dbFile, stop === "a clean restart" ? "a" : "b", 1);
        const busySince = Date.now();
        await waitFor("a few checkpoints", () => Date.now() - busySince > 3000);
        await writer.stop();
        const stopped = Date.now();
        await waitFor("the last rows to reach the replica", () => newestReplicaWrite(replicaDir) > stopped);
        if (stop === "a clean restart") {
          await server.stop();
          // Litestream's final sync first, then an exit that leaves the WAL to it.
          assert.match(server.output(), /Litestream stopped after its final sync/);
          assert.ok(!existsSync(path.join(dataDir, "litestream.pid")), "the pid file goes with Litestream");
        } else await killHard(server);
        server = await startServer({ dataDir, env });
        const restarted = Date.now();
        const cookie = await signIn(server.url, "owner", "owner-password-123");
        const made = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
        assert.ok(made.ok, `backup: HTTP ${made.status}`);
        await waitFor("the server's own writes to reach the replica", () => newestReplicaWrite(replicaDir) > restarted);
        assert.deepEqual(
          fileReplicaGenerations(replicaDir),
          generation,
          `${stop} starts no new generation:\n${server.output()}`,
        );
      }
    } finally {
      await server.stop();
    }
  });

  test("under a writer: backups and kill -9 of Litestream start no new generation; the drill restores a moment", async () => {
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const dbFile = path.join(dataDir, "opstage.db");
    const pidFile = path.join(dataDir, "litestream.pid");
    const env = fileReplicationEnv(replicaDir);
    let server = await startServer({ dataDir, env });
    const writer = await startRowWriter(dbFile, "w");
    let stopped = false;
    try {
      const first = await waitFor("the first generation", () => fileReplicaGenerations(replicaDir).length > 0);
      assert.ok(first);
      const generation = fileReplicaGenerations(replicaDir);
      assert.equal(generation.length, 1);

      // Ten backups through the console while the writer commits: Litestream owns the WAL's
      // checkpoints, so the snapshots copy pages (backup API) and restart nothing.
      const cookie = await signIn(server.url, "owner", "owner-password-123");
      for (let i = 0; i < 10; i++) {
        const made = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
        assert.ok(made.ok, `backup ${i}: HTTP ${made.status} ${await made.text()}`);
      }
      const afterBackups = Date.now();
      await waitFor(
        "the replica to take writes after the backups",
        () => newestReplicaWrite(replicaDir) > afterBackups,
      );
      assert.deepEqual(fileReplicaGenerations(replicaDir), generation, "10 backups under a writer: 0 new generations");

      const status = await waitFor("the status to show the window", async () => {
        const answer = await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } });
        const body = (await answer.json()) as {
          state: string;
          window: { from: string; to: string } | null;
          generations: unknown[] | null;
          litestream: { version: string };
        };
        // A passing Litestream error (its checkpoint meeting the busy writer) clears at the next upload.
        return body.window && body.state === "ok" ? body : null;
      });
      assert.equal(status.generations?.length, 1);
      assert.equal(status.litestream.version, "v0.3.13");
      const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
        details: { replication: { state: string; running: boolean } };
      };
      assert.equal(health.details.replication.state, "ok");
      assert.equal(health.details.replication.running, true);

      // kill -9 of Litestream alone: the server starts it again, on the same generation.
      const killed = readPid(pidFile)!;
      process.kill(killed, "SIGKILL");
      const replacement = await waitFor("the server to start Litestream again", () => {
        const pid = readPid(pidFile);
        return pid && pid !== killed && isRunning(pid) ? pid : null;
      });
      assert.match(server.output(), /Litestream exited \(SIGKILL\) after \d+ s; restarting in 1 s/);
      const relaunched = Date.now();
      await waitFor(
        "replication to resume after Litestream was killed",
        () => newestReplicaWrite(replicaDir) > relaunched + 500,
      );
      assert.ok(replacement);
      assert.deepEqual(fileReplicaGenerations(replicaDir), generation, "killing Litestream starts no new generation");

      // kill -9 of the server alone, the writer still committing: its Litestream lives on; the
      // next start stops it and continues. The writer's commits while no Litestream runs may
      // restart a WAL that Litestream had folded in completely; Litestream v0.3.13 then cannot
      // tell where it was and starts a new generation (a full snapshot). Nothing is lost either way.
      const orphan = readPid(pidFile);
      assert.ok(orphan && isRunning(orphan), "Litestream runs with a pid file");
      await killHard(server);
      server = await startServer({ dataDir, env });
      // Either the new server stopped it, or it ended itself at its next log line (its output
      // pipe had no reader any more): never two on one database.
      assert.ok(!isRunning(orphan), `the orphaned Litestream is gone:\n${server.output()}`);
      const resumed = Date.now();
      await waitFor("replication to resume after kill -9", () => newestReplicaWrite(replicaDir) > resumed + 500);
      const afterKill = fileReplicaGenerations(replicaDir);
      assert.ok(afterKill.length <= generation.length + 1, "kill -9 of the server starts at most one new generation");

      // The drill: the host dies (server and Litestream killed), the data dir is lost, and the
      // database is restored from the replica as it was at a moment T.
      const at = Date.now();
      await waitFor(
        "the replica to hold everything up to T",
        () => newestReplicaWrite(replicaDir) > at + SYNC_BOUND_MS,
      );
      const litestreamPid = readPid(pidFile)!;
      await killHard(server);
      process.kill(litestreamPid, "SIGKILL");
      const { commits, errors } = await writer.stop();
      stopped = true;
      assert.equal(errors, 0);
      rmSync(dataDir, { recursive: true, force: true });
      const iso = new Date(at).toISOString();
      const restore = runCli(dataDir, ["restore", "--at", iso, "--yes"], "", undefined, env);
      assert.equal(restore.code, 0, `${restore.stderr}\n${describeReplicaFiles(replicaDir)}\n${server.output()}`);
      assert.match(
        restore.stdout,
        new RegExp(`Restored .*opstage\\.db to ${iso.replace(/\./g, "\\.")} from the folder`),
      );
      // The moment has nothing to compare with: the full check, with its SQLite extension.
      assert.match(
        restore.stdout,
        /Integrity: quick_check and \d+ index\(es\) summed against their tables on 2 threads/,
      );
      assertRestoredPrefix(rowNumbers(dbFile, "w"), commits, at, SYNC_BOUND_MS);

      server = await startServer({ dataDir, env });
      await waitFor(
        "a new generation for the restored database",
        () => fileReplicaGenerations(replicaDir).length === afterKill.length + 1,
      );
      assert.match(server.output(), /restored from replica the folder .* as of /);

      // Turning back a bad change: restore --at with the database in place (server stopped).
      // Reading the settings opens the CLI's own connection, which must not still hold the file
      // when the install leaves WAL mode (it answered "database is locked").
      await server.stop();
      const undo = runCli(dataDir, ["restore", "--at", "latest", "--yes"], "", undefined, env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.match(undo.stdout, /The replaced database is kept as .*pre-restore/);
    } finally {
      if (!stopped) await writer.stop().catch(() => undefined);
      await server.stop();
    }
  });

  test("restore --at refuses a moment the replica does not hold, naming its window", async () => {
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const env = fileReplicationEnv(replicaDir);
    const server = await startServer({ dataDir, env });
    await waitFor("the first generation", () => fileReplicaGenerations(replicaDir).length > 0);
    await server.stop();
    const before = runCli(dataDir, ["restore", "--at", "2001-01-01T00:00:00Z", "--yes"], "", undefined, env);
    assert.equal(before.code, 1);
    assert.match(
      before.stderr,
      /The replica has no data for 2001-01-01T00:00:00\.000Z\. It can restore moments within: \S+ – \S+/,
    );
    const zoneless = runCli(dataDir, ["restore", "--at", "2026-01-01 10:00", "--yes"], "", undefined, env);
    assert.equal(zoneless.code, 1);
    assert.match(zoneless.stderr, /not a moment to restore to: give an ISO 8601 time with its zone/);
    const off = runCli(dataDir, ["restore", "--at", "latest", "--yes"]);
    assert.equal(off.code, 1);
    assert.match(off.stderr, /Replication is off/);
  });
});

/** A JSON request to the server (its address read at each call: a test may restart it). */
function apiCaller(serverUrl: () => string) {
  return (url: string, cookie: string, method = "POST", body?: unknown) =>
    fetch(`${serverUrl()}${url}`, {
      method,
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

/**
 * The replica's window once its end is a moment it can restore: a write a second past its first
 * snapshot has reached it (the snapshot's own second is not such a moment; a window read too soon
 * has nothing else).
 */
async function restorableWindow(
  call: ReturnType<typeof apiCaller>,
  owner: string,
): Promise<{ from: string; to: string }> {
  const replicaWindow = async () => {
    const body = (await (await call("/api/admin/replication", owner, "GET")).json()) as {
      window: { from: string; to: string } | null;
    };
    return body.window;
  };
  const first = await waitFor("the replica's window", replicaWindow);
  await waitFor("a second past the first snapshot", () => Date.now() > Date.parse(first.from) + 1000);
  const token = await call("/api/admin/tokens", owner, "POST", { name: "before-the-moment", expiresInDays: null });
  assert.equal(token.status, 201, await token.text());
  return waitFor("the write in the replica", async () => {
    const now = await replicaWindow();
    return now && Date.parse(now.to) > Date.parse(first.from) ? now : null;
  });
}

/** Makes olga (operator) and vic (viewer), signed in: each role with its session cookie. */
async function operatorAndViewer(serverUrl: string, ownerCookie: string): Promise<[string, string][]> {
  const signedIn: [string, string][] = [];
  for (const [username, role] of [
    ["olga", "operator"],
    ["vic", "viewer"],
  ] as const) {
    const made = await apiCaller(() => serverUrl)("/api/admin/users", ownerCookie, "POST", {
      username,
      role,
      password: `${role}-password-123`,
    });
    assert.equal(made.status, 201, await made.text());
    signedIn.push([role, await signIn(serverUrl, username, `${role}-password-123`)]);
  }
  return signedIn;
}

describe("restore to a moment through a check", () => {
  test("check, cancel, expiry and start remove the checked file; only owners; bad moments say what to do; the install uses the checked file", async () => {
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    // A short life for a check, so that its expiry is seen in seconds.
    const env = { ...fileReplicationEnv(replicaDir), OPSTAGE_RESTORE_CHECK_TTL: "3s" };
    let server = await startServer({ dataDir, env });
    const checkFiles = () => readdirSync(dataDir).filter((name) => name.startsWith(".tmp-"));
    try {
      const owner = await signIn(server.url, "owner", "owner-password-123");
      const call = apiCaller(() => server.url);
      const window = await restorableWindow(call, owner);
      for (const [role, cookie] of await operatorAndViewer(server.url, owner)) {
        for (const [url, method, body] of [
          ["/api/admin/replication/restore/check", "POST", { at: window.to }],
          ["/api/admin/replication/restore/check/0123456789abcdef0123456789abcdef", "DELETE", undefined],
          ["/api/admin/replication/restore", "POST", { checkId: "0123456789abcdef0123456789abcdef" }],
          ["/api/admin/restore/notice", "POST", { eventId: "x" }],
        ] as const) {
          assert.equal((await call(url, cookie, method, body)).status, 403, `${role}: ${method} ${url}`);
        }
      }
      assert.deepEqual(checkFiles(), [], "a refused request leaves nothing");

      // Bad moments: a clear 400 saying what to give instead.
      const refusal = async (body: unknown) => {
        const answer = await call("/api/admin/replication/restore/check", owner, "POST", body);
        const text = await answer.text();
        assert.equal(answer.status, 400, text);
        return (JSON.parse(text) as { error: { message: string } }).error.message;
      };
      assert.match(await refusal({ at: "yesterday 10:00" }), /give an ISO 8601 time with its zone, such as/);
      assert.match(await refusal({ at: "2026-01-01T10:00:00" }), /give an ISO 8601 time with its zone/);
      assert.match(
        await refusal({ at: "2001-01-01T00:00:00Z" }),
        /The replica has no data for 2001-01-01T00:00:00\.000Z\. It can restore moments within: \S+ – \S+/,
      );
      assert.match(await refusal({}), /Send \{ at:/);
      assert.deepEqual(checkFiles(), [], "a refused check leaves nothing");

      type Check = { checkId: string; moment: string; verification: { restorable: boolean; detail: string } };
      const check = async () => {
        const answer = await call("/api/admin/replication/restore/check", owner, "POST", { at: window.to });
        const body = (await answer.json()) as Check;
        assert.equal(answer.status, 200, JSON.stringify(body));
        assert.equal(body.verification.restorable, true, body.verification.detail);
        assert.match(body.verification.detail, /Restorable into this version/);
        return body;
      };

      // Cancelled: the checked file and its record go at once; a second cancel is a 404.
      const cancelled = await check();
      const kept = checkFiles().filter((name) => !/-(wal|shm)$/.test(name));
      assert.equal(kept.length, 2, `the checked copy and its record: ${checkFiles().join(", ")}`);
      assert.equal(
        (await call(`/api/admin/replication/restore/check/${cancelled.checkId}`, owner, "DELETE")).status,
        200,
      );
      assert.deepEqual(checkFiles(), []);
      assert.equal(
        (await call(`/api/admin/replication/restore/check/${cancelled.checkId}`, owner, "DELETE")).status,
        404,
      );
      const gone = await call("/api/admin/replication/restore", owner, "POST", { checkId: cancelled.checkId });
      assert.equal(gone.status, 404);
      assert.match(await gone.text(), /no checked moment .*Check the moment again/);

      // Expired: the server's sweeper removes it; installing it is refused.
      const expired = await check();
      await waitFor("the expired check to be removed", () => checkFiles().length === 0, 15_000);
      assert.equal(
        (await call("/api/admin/replication/restore", owner, "POST", { checkId: expired.checkId })).status,
        404,
      );

      // Left by a stopped server: removed at start.
      await check();
      await server.stop();
      server = await startServer({ dataDir, env: { ...env, OPSTAGE_RESTORE_CHECK_TTL: "15m" } });
      assert.deepEqual(checkFiles(), [], "start-up removes a check the last run left");

      // Installed: the checked file itself goes in place (nothing is left), audited as before.
      const owner2 = await signIn(server.url, "owner", "owner-password-123");
      const answer = await fetch(`${server.url}/api/admin/replication/restore/check`, {
        method: "POST",
        headers: { Cookie: owner2, "Content-Type": "application/json" },
        body: JSON.stringify({ at: window.to }),
      });
      const installing = (await answer.json()) as Check;
      assert.equal(answer.status, 200, JSON.stringify(installing));
      const restored = await fetch(`${server.url}/api/admin/replication/restore`, {
        method: "POST",
        headers: { Cookie: owner2, "Content-Type": "application/json" },
        body: JSON.stringify({ checkId: installing.checkId }),
      });
      const report = (await restored.json()) as { moment: string; file: string; preRestore: string | null };
      assert.equal(restored.status, 200, JSON.stringify(report));
      assert.equal(report.moment, installing.moment);
      assert.match(report.file, /^replica the folder .* as of /);
      assert.ok(report.preRestore);
      assert.deepEqual(checkFiles(), [], "the installed check leaves no file");
      assert.match(server.output(), /restore: installed replica the folder/);
    } finally {
      await server.stop();
    }
  });
});

describe("a checked moment compared with the live database (the restore dialog's preview)", () => {
  test("rows written after the moment show as removed; owners only; cancel keeps the check; an unknown check says what to do", async () => {
    const dataDir = tempDir();
    const replicaDir = tempDir("opstage-replica-");
    const server = await startServer({ dataDir, env: fileReplicationEnv(replicaDir) });
    const checkFiles = () =>
      readdirSync(dataDir).filter((name) => name.startsWith(".tmp-") && !/-(wal|shm)$/.test(name));
    try {
      const owner = await signIn(server.url, "owner", "owner-password-123");
      const call = apiCaller(() => server.url);
      // The moment: the window's end now. The users made next are written after it.
      const window = await restorableWindow(call, owner);
      const others = await operatorAndViewer(server.url, owner);
      const checked = await call("/api/admin/replication/restore/check", owner, "POST", { at: window.to });
      const check = (await checked.json()) as { checkId: string; moment: string };
      assert.equal(checked.status, 200, JSON.stringify(check));
      const compareUrl = `/api/admin/replication/restore/check/${check.checkId}/compare`;

      for (const [role, cookie] of others) {
        for (const [method, url, body] of [
          ["POST", compareUrl, { against: "live" }],
          ["GET", `${compareUrl}?id=anything`, undefined],
          ["DELETE", `${compareUrl}?id=anything`, undefined],
        ] as const) {
          assert.equal((await call(url, cookie, method, body)).status, 403, `${role}: ${method} ${url}`);
        }
      }

      const unknown = await call(
        "/api/admin/replication/restore/check/0123456789abcdef0123456789abcdef/compare",
        owner,
        "POST",
        { against: "live" },
      );
      const unknownText = await unknown.text();
      assert.equal(unknown.status, 404, unknownText);
      assert.match(
        unknownText,
        /no checked moment 0123456789abcdef0123456789abcdef .*Check the moment again, then compare it/,
      );

      type Job = {
        id: string;
        state: string;
        from: string;
        to: string;
        result: { domain: string[]; tables: { table: string; added: number; removed: number }[] } | null;
      };
      const started = await call(compareUrl, owner, "POST", { against: "live" });
      let job = (await started.json()) as Job;
      assert.equal(started.status, 202, JSON.stringify(job));
      assert.equal(job.from, "the live database");
      assert.match(job.to, /^replica the folder .* as of /);
      job = await waitFor("the comparison to end", async () => {
        const polled = (await (await call(`${compareUrl}?id=${job.id}`, owner, "GET")).json()) as Job;
        return polled.state === "running" ? null : polled;
      });
      assert.equal(job.state, "done", JSON.stringify(job));
      const users = job.result!.tables.find((table) => table.table === "User");
      assert.deepEqual({ added: users?.added, removed: users?.removed }, { added: 0, removed: 2 });
      assert.ok(job.result!.domain.includes("user olga removed"), job.result!.domain.join("\n"));
      assert.ok(job.result!.domain.includes("user vic removed"), job.result!.domain.join("\n"));
      assert.match(job.result!.domain.join("\n"), /audit events? removed/);
      const audit = (await (await call("/api/admin/audit?action=backup.compared", owner, "GET")).json()) as {
        events?: { targetId: string | null }[];
      };
      assert.ok(
        audit.events?.some((event) => event.targetId === job.to),
        `the comparison is audited: ${JSON.stringify(audit)}`,
      );

      // Cancelled at once: the job says so, and the check is still there to install or discard.
      // 200,000 audit rows more in the live database first, so that the comparison is still
      // reading when the cancel arrives (the small database above compares in milliseconds).
      const live = new Database(path.join(dataDir, "opstage.db"));
      live.pragma("busy_timeout = 5000");
      live.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
        INSERT INTO AuditEvent (id, actorType, action, result, message, createdAt)
        SELECT printf('bulk%07d', i), 'SYSTEM', 'bulk.row', 'SUCCESS', 'a row written after the moment',
          '2026-01-01T00:00:00.000+00:00' FROM n`);
      live.close();
      const again = (await (await call(compareUrl, owner, "POST", { against: "live" })).json()) as Job;
      const cancelled = await call(`${compareUrl}?id=${again.id}`, owner, "DELETE");
      assert.equal(cancelled.status, 200);
      assert.equal(((await cancelled.json()) as Job).state, "cancelled");
      assert.equal(checkFiles().length, 2, `the checked copy and its record stay: ${checkFiles().join(", ")}`);
      assert.equal((await call(`/api/admin/replication/restore/check/${check.checkId}`, owner, "DELETE")).status, 200);
      assert.deepEqual(checkFiles(), []);
      const afterDiscard = await call(compareUrl, owner, "POST", { against: "live" });
      assert.equal(afterDiscard.status, 404);
    } finally {
      await server.stop();
    }
  });
});

describe("replication over SFTP (OpenSSH sshd)", () => {
  test("replicates to sshd, rides out 30 s without it (one alert), and the console restores a moment", async () => {
    const sftp = await startSftpServer();
    const webhook = await startWebhookReceiver();
    const dataDir = tempDir();
    const dbFile = path.join(dataDir, "opstage.db");
    const env = {
      ...OWNER,
      OPSTAGE_REPLICATION: "sftp",
      OPSTAGE_REPLICATION_PATH: path.join(sftp.root, "opstage"),
      OPSTAGE_REPLICATION_SFTP_HOST: sftp.host,
      OPSTAGE_REPLICATION_SFTP_PORT: String(sftp.port),
      OPSTAGE_REPLICATION_SFTP_USER: sftp.user,
      OPSTAGE_REPLICATION_SFTP_KEY_PATH: sftp.keyPath,
      OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
      OPSTAGE_REPLICATION_UPLOAD_TIMEOUT: "5s",
      OPSTAGE_REPLICATION_ALERT_AFTER: "10s",
    };
    const server = await startServer({ dataDir, env });
    const writer = await startRowWriter(dbFile, "s");
    let stopped = false;
    try {
      const cookie = await signIn(server.url, "owner", "owner-password-123");
      const channel = await fetch(`${server.url}/api/admin/alerts`, {
        method: "POST",
        headers: { Cookie: cookie, "Content-Type": "application/json" },
        body: JSON.stringify({
          type: "webhook",
          name: "replication",
          events: ["replication.error"],
          config: { url: webhook.url, preset: "generic" },
        }),
      });
      assert.equal(channel.status, 201, await channel.text());
      type Status = { state: string; window: { from: string; to: string } | null; replicaLabel: string };
      const status = async () =>
        (await (await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } })).json()) as Status;
      await waitFor(
        "the SFTP replica's first data",
        async () => (await status()).window,
        30_000,
        () => sftp.output(),
      );
      // sshd down for 30 s: the console keeps serving, the status names the error, one alert goes
      // out (after OPSTAGE_REPLICATION_ALERT_AFTER); back up: replication catches up.
      await sftp.stop();
      const down = Date.now();
      const failing = await waitFor(
        "the status to show the SFTP error",
        async () => {
          const body = (await (
            await fetch(`${server.url}/api/admin/replication`, { headers: { Cookie: cookie } })
          ).json()) as Status & { lastError: { message: string } | null };
          return body.state === "error" && body.lastError ? body : null;
        },
        30_000,
        () => `${server.output().slice(-3000)}\n${sftp.output().slice(-2000)}`,
      );
      assert.match(failing.lastError!.message, /has not finished|connect|refused|EOF|closed|exited/i);
      assert.equal((await fetch(`${server.url}/api/health`)).status, 200, "replication never fails the health check");
      const alert = await waitFor(
        "the replication alert",
        () => webhook.received.find((hook) => hook.json.event === "replication.error"),
        40_000,
        () => server.output().slice(-3000),
      );
      assert.match(String(alert.json.title), /^Replication to sftp:\/\/.* failed$/);
      // The rest of the 30 s, the console serving all along.
      while (Date.now() - down < 30_000) {
        assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
        assert.equal((await status()).state, "error");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      await sftp.start();
      await waitFor("replication to catch up after sshd is back", async () => (await status()).state === "ok", 60_000);
      assert.equal(
        webhook.received.filter((hook) => hook.json.event === "replication.error").length,
        1,
        "one alert for one outage",
      );
      // The cut-off upload made Litestream start a new generation: T must lie inside it (its
      // start has whole seconds, and so has the moment an SFTP restore can reach).
      await waitFor("the current generation to span two seconds", async () => {
        const window = (await status()).window;
        return window && Date.now() - Date.parse(window.from) > 2000;
      });

      const at = Date.now();
      // The window's end has whole seconds.
      await waitFor("the replica to hold everything up to T", async () => {
        const window = (await status()).window;
        return window && Date.parse(window.to) > at + SYNC_BOUND_MS;
      });
      const current = await waitFor("the status to say ok", async () => {
        const body = await status();
        return body.state === "ok" ? body : null;
      });
      assert.match(current.replicaLabel, new RegExp(`^sftp://${sftp.user}@127\\.0\\.0\\.1:${sftp.port}`));
      const { commits, errors } = await writer.stop();
      stopped = true;
      assert.equal(errors, 0);

      const iso = new Date(at).toISOString();
      const answer = await fetch(`${server.url}/api/admin/replication/restore`, {
        method: "POST",
        headers: { Cookie: cookie, "Content-Type": "application/json" },
        body: JSON.stringify({ at: iso }),
      });
      const report = (await answer.json()) as {
        moment: string;
        requested: string;
        file: string;
        preRestore: string | null;
      };
      assert.equal(answer.status, 200, JSON.stringify(report));
      assert.equal(report.requested, iso);
      // SFTP file times have whole seconds: the moment restored is the whole second at or before T.
      const second = Math.floor(at / 1000) * 1000;
      assert.equal(report.moment, new Date(second).toISOString(), "the report names the exact moment restored");
      assert.match(report.file, new RegExp(`^replica sftp://.* as of ${report.moment.replace(/\./g, "\\.")}$`));
      assert.ok(report.preRestore, "the replaced database is kept");
      try {
        assertRestoredPrefix(rowNumbers(dbFile, "s"), commits, second, SYNC_BOUND_MS);
      } catch (error) {
        const log = server
          .output()
          .split("\n")
          .filter((line) => !/wal segment/.test(line));
        throw new Error(`${(error as Error).message}\n${log.slice(-40).join("\n")}`);
      }
      assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
      // Replication goes on, from the restored database.
      const after = await waitFor("replication to run again after the restore", async () => {
        const body = await status();
        return body.state === "ok" && body.window ? body : null;
      });
      assert.ok(after.window);
    } finally {
      if (!stopped) await writer.stop().catch(() => undefined);
      await server.stop();
      await sftp.stop();
      await webhook.close();
    }
  });
});
