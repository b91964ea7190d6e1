// A console restore and the requests around it: a write racing the restore lands in the restored
// database (or is refused with 503) and is never lost; a large restore keeps /api/health
// answering; and JSON bodies past the limit are refused without being kept (nor read for ever).
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { once } from "node:events";
import { connect } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { queryOne } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };

let server: RunningServer;
let dataDir: string;
let cookie: string;

before(async () => {
  dataDir = tempDir();
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  cookie = await signIn(server.url, OWNER.username, OWNER.password);
});

after(async () => {
  await server?.stop();
});

function post(pathname: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${pathname}`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function backUpNow(): Promise<string> {
  const response = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { name: string }).name;
}

function tokenIdsIn(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare(`SELECT id FROM ApiToken`).all() as { id: string }[]).map((row) => row.id));
  } finally {
    db.close();
  }
}

describe("writes racing a console restore", () => {
  test("every write answered 201 is in the restored database or in the pre-restore backup; none goes to the replaced file", async () => {
    const backup = await backUpNow();
    const acknowledged: { id: string; at: number }[] = [];
    const statuses = new Map<number, number>();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const response = await post("/api/admin/tokens", { name: `race-${i}` });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 201)
          acknowledged.push({ id: ((await response.json()) as { id: string }).id, at: Date.now() });
        else
          assert.equal(response.status, 503, `a write during the restore is refused with 503, not ${response.status}`);
      }
    })();
    while (acknowledged.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    // Sign-ins during the restore too: they read users through Prisma, and must do it on the
    // file being served, never keep a connection to the one being replaced.
    let restoring = true;
    const signingIn = (async () => {
      while (restoring) await signIn(server.url, OWNER.username, OWNER.password).catch(() => {});
    })();
    const restored = await post("/api/admin/restore", { name: backup });
    restoring = false;
    await signingIn;
    assert.equal(restored.status, 200, await restored.clone().text());
    const { preRestore } = (await restored.json()) as { preRestore: string };
    const restoredAt = Date.now();
    while (acknowledged.filter((write) => write.at > restoredAt).length < 5)
      await new Promise((resolve) => setTimeout(resolve, 10));
    writing = false;
    await writer;

    const live = tokenIdsIn(path.join(dataDir, "opstage.db"));
    const kept = tokenIdsIn(path.join(dataDir, "backups", preRestore));
    const lost = acknowledged.filter((write) => !live.has(write.id) && !kept.has(write.id));
    assert.deepEqual(
      lost,
      [],
      `acknowledged writes lost (${acknowledged.length} made; statuses ${JSON.stringify([...statuses])})`,
    );
    const afterRestore = acknowledged.filter((write) => write.at > restoredAt);
    assert.ok(
      afterRestore.every((write) => live.has(write.id)),
      "writes after the restore are in the restored database",
    );
    // The restore is audited in the database that is served, not in the replaced file.
    assert.equal(
      queryOne<{ n: number }>(
        path.join(dataDir, "opstage.db"),
        "SELECT count(*) AS n FROM AuditEvent WHERE action = 'backup.sqlite.restored'",
      ).n,
      1,
    );
  });
});

/** `prefix`, then 10 MiB of "x" in 64 KiB chunks, sent without a declared length. */
function tenMegabytesStreamed(prefix = ""): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (prefix) controller.enqueue(new TextEncoder().encode(prefix));
    },
    pull(controller) {
      if (sent >= 160) controller.close();
      else {
        sent++;
        controller.enqueue(chunk);
      }
    },
  });
}

describe("request bodies", () => {
  test("a 10 MB JSON body is refused with 413, declared or streamed, and the server stays small", async () => {
    const big = JSON.stringify({ name: "x".repeat(10 * 1024 * 1024) });
    const declared = await post("/api/admin/tokens", JSON.parse(big));
    assert.equal(declared.status, 413);
    assert.equal(((await declared.json()) as { error: { code: string } }).error.code, "payload_too_large");

    const streamed = await fetch(`${server.url}/api/admin/tokens`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: tenMegabytesStreamed(),
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    assert.equal(streamed.status, 413);

    const signInBody = await fetch(`${server.url}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `username=${"x".repeat(10 * 1024 * 1024)}`,
    });
    assert.equal(signInBody.status, 413);
    assert.equal((await post("/api/admin/tokens", { name: "still-works" })).status, 201);
  });

  test("a sign-in form streamed past the limit, with no length declared, is refused with 413", async () => {
    const signIn = await fetch(`${server.url}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: tenMegabytesStreamed("username="),
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    assert.equal(signIn.status, 413);
    assert.equal(((await signIn.json()) as { error: { code: string } }).error.code, "payload_too_large");
  });

  test("a body streamed without end gets its 413 and is cut off, not read for ever", { timeout: 120_000 }, async () => {
    // A raw connection, so that nothing is buffered on this side: each 64 KiB chunk is written
    // once the server has taken the one before.
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, "connect");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => (answer += data));
    socket.on("error", () => {}); // the write after the server closed fails; the close says it
    let open = true;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve())).then(() => (open = false));
    socket.write(
      `POST /api/admin/tokens HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookie}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = Buffer.alloc(64 * 1024, "x");
    const frame = Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
    let sent = 0;
    while (open && sent < 256 * 1024 * 1024) {
      if (!socket.write(frame)) await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed]);
      sent += chunk.byteLength;
    }
    socket.destroy();
    await closed;
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.ok(sent < 256 * 1024 * 1024, `the server kept reading: ${sent} bytes sent`);
    assert.equal((await post("/api/admin/tokens", { name: "still-works-after-endless" })).status, 201);
  });
});
