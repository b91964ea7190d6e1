// The download streams the snapshot while it is copied: a slow client does not hold the copy back,
// and a failure after the first byte is a cut transfer that every client reports as incomplete.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import { integrityOf, queryOne, SQLITE_MAGIC } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const env = { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password };
const servers: RunningServer[] = [];
const mounts: string[] = [];

after(async () => {
  for (const server of servers) await server.stop();
  for (const dir of mounts) execFileSync("umount", ["--lazy", dir]);
});

/** Appends `megabytes` of rows through a connection of the test's own; with keepInWal, they stay in the WAL. */
function append(dbFile: string, megabytes: number, keepInWal: boolean): void {
  const db = new Database(dbFile);
  try {
    db.pragma("busy_timeout = 5000");
    if (keepInWal) db.pragma("wal_autocheckpoint = 0");
    const insert = db.prepare(
      `INSERT INTO AuditEvent (id, actorType, action, result, metadataJson, createdAt) VALUES (?, 'SYSTEM', 'test.fill', 'SUCCESS', ?, CURRENT_TIMESTAMP)`,
    );
    const prefix = `${keepInWal ? "wal" : "db"}-${Date.now()}`;
    db.transaction(() => {
      for (let i = 0; i < megabytes * 256; i++) insert.run(`${prefix}-${i}`, "x".repeat(3900));
    })();
    if (!keepInWal) db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/** A server on `dataDir` whose database holds `megabytes` more, checkpointed; the owner's cookie. */
async function serverWithDatabase(megabytes: number, dataDir = tempDir()) {
  const dbFile = path.join(dataDir, "opstage.db");
  const server = await startServer({ dataDir, env });
  servers.push(server);
  append(dbFile, megabytes, false);
  const cookie = await signIn(server.url, OWNER.username, OWNER.password);
  return { dataDir, dbFile, server, cookie };
}

/** A raw connection to the server, for requests written by hand; `host` for their Host header. */
async function rawConnection(server: RunningServer): Promise<{ socket: Socket; host: string }> {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  return { socket, host: url.host };
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

describe("the download while the snapshot is copied", () => {
  test("a slow client does not hold the copy back: the backup is stored while the client is still reading, byte for byte the same", async () => {
    const { dataDir, server, cookie } = await serverWithDatabase(24);
    const backupDir = path.join(dataDir, "backups");
    const { socket, host } = await rawConnection(server);
    socket.write(
      `POST /api/admin/backup/sqlite HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    const [first] = (await once(socket, "data")) as [Buffer];
    socket.pause(); // a client that stops reading after the first bytes
    const head = first.toString("latin1");
    assert.match(head, /^HTTP\/1\.1 200/);
    const length = Number(/content-length: (\d+)/i.exec(head)![1]);
    assert.ok(length > 24 * 1048576, `the size is announced up front (${length})`);

    // The copy runs on at disk speed: the backup is committed while the client reads nothing.
    const deadline = Date.now() + 30_000;
    let stored: string | undefined;
    while (!stored && Date.now() < deadline) {
      const files = readdirSync(backupDir);
      stored = files.find((name) => /^opstage-[\dTZ.]+\.db$/.test(name) && files.includes(`${name}.json`));
      if (!stored) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(stored, "stored while the client was paused");

    const chunks: Buffer[] = [first];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await once(socket, "end");
    const response = Buffer.concat(chunks);
    const body = response.subarray(response.indexOf("\r\n\r\n") + 4);
    assert.equal(body.length, length, "every announced byte arrived");
    assert.equal(body.subarray(0, 16).toString("latin1"), SQLITE_MAGIC);
    const file = readFileSync(path.join(backupDir, stored));
    assert.ok(body.equals(file), "the client got exactly the stored file");
    const manifest = JSON.parse(readFileSync(path.join(backupDir, `${stored}.json`), "utf8")) as {
      sha256: string;
      snapshotMethod: string;
    };
    assert.equal(manifest.sha256, createHash("sha256").update(body).digest("hex"));
    assert.equal(manifest.snapshotMethod, "file-copy");
  });

  test("a client that keeps up, while another connection commits throughout, gets exactly the stored file", async () => {
    // Ten of the copy's chunks, most of them sent as they are read.
    const { dataDir, dbFile, server, cookie } = await serverWithDatabase(40);
    const writer = new Database(dbFile);
    writer.pragma("busy_timeout = 5000");
    const insert = writer.prepare(
      `INSERT INTO AuditEvent (id, actorType, action, result, createdAt) VALUES (?, 'SYSTEM', 'test.writer', 'SUCCESS', CURRENT_TIMESTAMP)`,
    );
    let writing = true;
    let commits = 0;
    const writes = (async () => {
      while (writing) {
        insert.run(`writer-${commits++}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const response = await fetch(`${server.url}/api/admin/backup/sqlite`, {
      method: "POST",
      headers: { Cookie: cookie },
    });
    const body = Buffer.from(await response.arrayBuffer());
    writing = false;
    await writes;
    writer.close();
    assert.equal(response.status, 200);
    assert.equal(body.length, Number(response.headers.get("content-length")));
    const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")![1]!;
    const stored = readFileSync(path.join(dataDir, "backups", name));
    assert.ok(body.equals(stored), "the client got exactly the stored file");
    const downloaded = path.join(tempDir(), "download.db");
    writeFileSync(downloaded, body);
    assert.equal(integrityOf(downloaded), "ok");
    assert.ok(commits > 0, "the writer committed during the download");
  });

  test("two downloads pipelined on one connection, read only after both are stored: each is exactly its stored file", async () => {
    const { dataDir, server, cookie } = await serverWithDatabase(40);
    const backupDir = path.join(dataDir, "backups");
    const { socket, host } = await rawConnection(server);
    socket.pause();
    const request = `POST /api/admin/backup/sqlite HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nContent-Length: 0\r\n\r\n`;
    socket.write(request + request); // the second is answered after the first, on the same connection
    // Both copies run on while the client reads nothing: the second response's bytes queue
    // behind the first's, which still fill the connection.
    const committed = () => readdirSync(backupDir).filter((name) => name.endsWith(".db.json")).length;
    const deadline = Date.now() + 60_000;
    while (committed() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(committed(), 2, "both backups stored while the client was paused");

    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.resume();
    const bodies: { name: string; body: Buffer }[] = [];
    while (bodies.length < 2) {
      const headEnd = received.indexOf("\r\n\r\n");
      const head = headEnd >= 0 ? received.toString("latin1", 0, headEnd) : "";
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
      if (headEnd >= 0 && received.length >= headEnd + 4 + length) {
        assert.match(head, /^HTTP\/1\.1 200/);
        const name = /filename="([^"]+)"/.exec(head)![1]!;
        bodies.push({ name, body: received.subarray(headEnd + 4, headEnd + 4 + length) });
        received = received.subarray(headEnd + 4 + length);
      } else await once(socket, "data");
    }
    socket.destroy();
    assert.notEqual(bodies[0]!.name, bodies[1]!.name);
    for (const { name, body } of bodies) {
      assert.ok(
        body.equals(readFileSync(path.join(backupDir, name))),
        `${name}: the client got exactly the stored file`,
      );
    }
  });

  test("after a client that left mid-transfer, the next downloads are each exactly their stored file", async () => {
    // The copy's shared chunks and the download's read buffers are kept for the next download
    // (lib/backup/chunk-pool.ts): what one left behind must never show in another's bytes.
    const { dataDir, server, cookie } = await serverWithDatabase(40);
    const { socket, host } = await rawConnection(server);
    socket.write(
      `POST /api/admin/backup/sqlite HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nContent-Length: 0\r\n\r\n`,
    );
    let received = 0;
    for await (const chunk of socket) {
      received += (chunk as Buffer).length;
      if (received > 3 * 1024 * 1024) break; // leaves the loop and destroys the socket
    }
    assert.ok(socket.destroyed, "the client left");

    for (let download = 0; download < 3; download++) {
      const response = await fetch(`${server.url}/api/admin/backup/sqlite`, {
        method: "POST",
        headers: { Cookie: cookie },
      });
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(response.status, 200);
      const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")![1]!;
      assert.ok(
        body.equals(readFileSync(path.join(dataDir, "backups", name))),
        `download ${download + 2}: the client got exactly the stored file`,
      );
    }
  });

  test("a failure after the first byte cuts the transfer: curl -f reports it (exit 18), nothing is stored, the failure is audited", async () => {
    // The data dir on a small tmpfs with the backups inside, as by default. The space check
    // passes (database + WAL fit), but the checkpoint before the copy moves the WAL's new pages
    // into the database file, which then needs that room a second time: the copy runs out of
    // space after its first chunks are sent.
    const dataDir = tempDir("opstage-tmpfs-");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=160m", "tmpfs", dataDir]);
    mounts.push(dataDir);
    const { dbFile, server, cookie } = await serverWithDatabase(40, dataDir);
    append(dbFile, 24, true);
    const needed = statSync(dbFile).size + statSync(`${dbFile}-wal`).size;
    writeFileSync(path.join(dataDir, "filler"), Buffer.alloc(freeBytes(dataDir) - Math.ceil(needed / 4096) * 4096));

    const out = path.join(tempDir(), "download.db");
    const curl = spawnSync(
      "curl",
      ["-sS", "-f", "-X", "POST", "-H", `Cookie: ${cookie}`, "-o", out, `${server.url}/api/admin/backup/sqlite`],
      {
        encoding: "utf8",
      },
    );
    assert.equal(curl.status, 18, `curl reports a partial transfer: ${curl.stderr}`);
    assert.ok(existsSync(out) && statSync(out).size > 0, "the response had started");
    assert.deepEqual(readdirSync(path.join(dataDir, "backups")), [], "no backup, no manifest, no temp file");
    const failed = queryOne<{ result: string; message: string } | undefined>(
      dbFile,
      "SELECT result, message FROM AuditEvent WHERE action = 'backup.sqlite.failed' ORDER BY rowid DESC LIMIT 1",
    );
    assert.equal(failed?.result, "FAILURE");
    assert.match(failed!.message, /ran out of space/);
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });
});
