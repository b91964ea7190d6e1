// The audit log over HTTP against the built server: keyset pages, filters, a viewer's own
// events only, one event, exports of exactly the filtered rows, and retention.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { queryOne } from "../support/db";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const OWNER = { username: "owner", password: "owner-password-123" };
const SEEDED = 260;
const DAY = 86_400_000;

let server: RunningServer;
let dbFile: string;
let ownerCookie: string;
let viewerCookie: string;
let operatorId: string;
let viewerId: string;

type Row = {
  id: string;
  createdAt: string;
  action: string;
  actorId: string | null;
  actorName: string | null;
  result: string;
  targetId: string | null;
};
type Page = { events: Row[]; nextCursor: string | null };

function api(pathname: string, cookie: string, init: RequestInit = {}) {
  return fetch(`${server.url}${pathname}`, {
    ...init,
    headers: {
      Cookie: cookie,
      ...(init.body ? { "Content-Type": "application/json" } : {}),
      ...(init.headers as Record<string, string>),
    },
  });
}

/** Prisma's better-sqlite3 adapter stores DateTime as ISO 8601 text with "+00:00". */
const stored = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");

function sqlIds(where: string, ...params: unknown[]): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (
      db.prepare(`SELECT id FROM AuditEvent WHERE ${where} ORDER BY createdAt DESC, id DESC`).all(...params) as {
        id: string;
      }[]
    ).map((r) => r.id);
  } finally {
    db.close();
  }
}

async function allPages(query: string, cookie = ownerCookie, limit = 50): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = "";
  while (cursor !== null) {
    const response = await api(`/api/admin/audit?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, cookie);
    assert.equal(response.status, 200);
    const page = (await response.json()) as Page;
    assert.ok(page.events.length <= limit);
    rows.push(...page.events);
    cursor = page.nextCursor;
  }
  return rows;
}

async function createUser(username: string, role: string, password: string): Promise<string> {
  const response = await api("/api/admin/users", ownerCookie, {
    method: "POST",
    body: JSON.stringify({ username, role, password }),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { user: { id: string } }).user.id;
}

before(async () => {
  const dataDir = tempDir();
  dbFile = path.join(dataDir, "opstage.db");
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  ownerCookie = await signIn(server.url, OWNER.username, OWNER.password);
  operatorId = await createUser("olga", "operator", "operator-password-1");
  viewerId = await createUser("vic", "viewer", "viewer-password-12");
  viewerCookie = await signIn(server.url, "vic", "viewer-password-12");

  // Seeded rows, 12 hours apart going back ~130 days, every fifth sharing its neighbour's
  // timestamp so that pages must break ties by id.
  const db = new Database(dbFile);
  db.pragma("busy_timeout = 5000");
  const insert = db.prepare(
    `INSERT INTO AuditEvent (id, actorType, actorId, action, targetType, targetId, result, metadataJson, createdAt)
     VALUES (?, 'USER', ?, ?, 'thing', ?, ?, ?, ?)`,
  );
  const start = Date.now() - 1000;
  db.transaction(() => {
    for (let i = 0; i < SEEDED; i++) {
      const at = start - Math.floor(i - (i % 5 === 1 ? 1 : 0)) * (DAY / 2);
      insert.run(
        `seed${String(i).padStart(4, "0")}`,
        i % 3 === 0 ? viewerId : operatorId,
        i % 2 === 0 ? "seed.alpha" : "seed.beta",
        `t${i % 7}`,
        i % 4 === 0 ? "FAILURE" : "SUCCESS",
        JSON.stringify({ index: i, nested: { ok: true } }),
        stored(at),
      );
    }
  })();
  db.close();
});

after(async () => {
  await server?.stop();
});

describe("audit log", () => {
  test("pages newest first by cursor: every seeded row once, ties broken by id, in the table's order", async () => {
    const rows = await allPages("action=seed.");
    assert.equal(rows.length, SEEDED);
    assert.equal(new Set(rows.map((r) => r.id)).size, SEEDED);
    assert.deepEqual(
      rows.map((r) => r.id),
      sqlIds("action LIKE 'seed.%'"),
    );
    assert.equal(rows.find((r) => r.actorId === operatorId)?.actorName, "olga");
  });

  test("filters: action prefix, actor, result, target, time range; all of them mirror a SQL WHERE", async () => {
    const from = new Date(Date.now() - 40 * DAY).toISOString();
    const to = new Date(Date.now() - 10 * DAY).toISOString();
    const cases: [string, string, unknown[]][] = [
      ["action=seed.alpha", "action = 'seed.alpha'", []],
      ["action=seed.&actor=olga", "action LIKE 'seed.%' AND actorId = ?", [operatorId]],
      ["action=seed.&result=FAILURE", "action LIKE 'seed.%' AND result = 'FAILURE'", []],
      ["action=seed.&target=t3", "action LIKE 'seed.%' AND targetId = 't3'", []],
      [
        `action=seed.&from=${from}&to=${to}`,
        "action LIKE 'seed.%' AND createdAt >= ? AND createdAt < ?",
        [from.replace("Z", "+00:00"), to.replace("Z", "+00:00")],
      ],
      [
        `action=seed.beta&actor=vic&result=SUCCESS&target=t1`,
        "action = 'seed.beta' AND actorId = ? AND result = 'SUCCESS' AND targetId = 't1'",
        [viewerId],
      ],
    ];
    for (const [query, where, params] of cases) {
      const expected = sqlIds(where, ...params);
      assert.ok(expected.length > 0, `${query} selects something`);
      assert.deepEqual(
        (await allPages(query, ownerCookie, 17)).map((r) => r.id),
        expected,
        query,
      );
    }
  });

  test("bad filters and cursors get one clear 400", async () => {
    for (const [query, message] of [
      ["result=MAYBE", /result must be one of SUCCESS, FAILURE, DENIED/],
      ["from=yesterday", /from must be a date or time/],
      ["action=a&action=b", /Give action once/],
      ["cursor=bm9wZQ", /cursor is not valid/],
      ["from=2026-02-01&to=2026-01-01", /from must be before to/],
    ] as const) {
      const response = await api(`/api/admin/audit?${query}`, ownerCookie);
      assert.equal(response.status, 400, query);
      assert.match(((await response.json()) as { error: { message: string } }).error.message, message);
    }
  });

  test("a viewer reads only their own events, in the list, one by one and in the exports", async () => {
    const own = await allPages("", viewerCookie);
    assert.ok(own.length > 50);
    assert.ok(own.every((r) => r.actorId === viewerId));
    assert.equal((await allPages("actor=olga", viewerCookie)).length, 0);
    const others = sqlIds("actorId = ?", operatorId)[0]!;
    assert.equal((await api(`/api/admin/audit/${others}`, viewerCookie)).status, 404);
    assert.equal((await api(`/api/admin/audit/${own[0]!.id}`, viewerCookie)).status, 200);
    const exported = (await (await api("/api/admin/audit/export?format=ndjson", viewerCookie)).text())
      .trim()
      .split("\n");
    assert.ok(exported.every((line) => (JSON.parse(line) as Row).actorId === viewerId));
  });

  test("one event with its metadata", async () => {
    const response = await api("/api/admin/audit/seed0007", ownerCookie);
    const event = (await response.json()) as Row & { metadataJson: string };
    assert.equal(event.action, "seed.beta");
    assert.deepEqual(JSON.parse(event.metadataJson), { index: 7, nested: { ok: true } });
    assert.equal((await api("/api/admin/audit/nope", ownerCookie)).status, 404);
  });

  test("CSV and NDJSON exports hold exactly the filtered rows, in order", async () => {
    const query = "action=seed.&result=SUCCESS";
    const expected = sqlIds("action LIKE 'seed.%' AND result = 'SUCCESS'");
    const ndjson = await api(`/api/admin/audit/export?format=ndjson&${query}`, ownerCookie);
    assert.equal(ndjson.headers.get("content-type"), "application/x-ndjson");
    assert.match(ndjson.headers.get("content-disposition") ?? "", /attachment; filename="opstage-audit-.*\.ndjson"/);
    const lines = (await ndjson.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Row & { metadata: unknown });
    assert.deepEqual(
      lines.map((l) => l.id),
      expected,
    );
    assert.deepEqual(lines.find((l) => l.id === "seed0001")?.metadata, { index: 1, nested: { ok: true } });

    const csv = await api(`/api/admin/audit/export?format=csv&${query}`, ownerCookie);
    assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
    const csvLines = (await csv.text()).trimEnd().split("\r\n");
    assert.equal(
      csvLines[0],
      "id,createdAt,actorType,actorId,actorName,action,result,targetType,targetId,message,ipAddress,userAgent,metadata",
    );
    assert.deepEqual(
      csvLines.slice(1).map((line) => line.split(",")[0]),
      expected,
    );
    assert.match(csvLines[1]!, /,"\{""index"":\d+,""nested"":\{""ok"":true\}\}"$/);

    assert.equal((await api("/api/admin/audit/export?format=xml", ownerCookie)).status, 400);
    const exportedEvent = queryOne<{ n: number }>(
      dbFile,
      "SELECT count(*) AS n FROM AuditEvent WHERE action = 'audit.exported'",
    ).n;
    assert.ok(exportedEvent >= 2, "exports are audited");
  });

  test("retention: kept forever by default; N days deletes older events at once, audited", async () => {
    const current = await (await api("/api/admin/audit/retention", ownerCookie)).json();
    assert.deepEqual(current, { days: null });
    const bad = await api("/api/admin/audit/retention", ownerCookie, {
      method: "PUT",
      body: JSON.stringify({ days: 0 }),
    });
    assert.equal(bad.status, 400);
    const older = sqlIds("createdAt < ?", stored(Date.now() - 30 * DAY)).length;
    assert.ok(older > 100);
    const saved = await api("/api/admin/audit/retention", ownerCookie, {
      method: "PUT",
      body: JSON.stringify({ days: 30 }),
    });
    assert.equal(saved.status, 200);
    assert.deepEqual(await saved.json(), { days: 30, deleted: older });
    assert.equal(sqlIds("createdAt < ?", stored(Date.now() - 30 * DAY)).length, 0);
    const changed = queryOne<{ metadataJson: string }>(
      dbFile,
      "SELECT metadataJson FROM AuditEvent WHERE action = 'audit.retention.changed'",
    );
    assert.deepEqual(JSON.parse(changed.metadataJson), { from: null, to: 30 });
    const applied = queryOne<{ metadataJson: string }>(
      dbFile,
      "SELECT metadataJson FROM AuditEvent WHERE action = 'audit.retention.applied'",
    );
    assert.equal((JSON.parse(applied.metadataJson) as { deleted: number }).deleted, older);
    const forever = await api("/api/admin/audit/retention", ownerCookie, {
      method: "PUT",
      body: JSON.stringify({ days: null }),
    });
    assert.deepEqual(await forever.json(), { days: null, deleted: 0 });
  });
});
