// A 1,000,000-row audit export streams in constant memory: the server's resident memory is
// sampled while the client reads the export, and must not grow with the rows. It swings with the
// garbage collector (measured: between ~300 and ~480 MB, up and down, from a ~230 MB start), so
// the checks are that the second half of the export does not reach higher than the first half
// plus a margin, and that the peak stays far below what the rows themselves take (the NDJSON
// alone is ~330 MB; as row objects, several times more). Also prints how long a first and a deep
// page take (keyset pages cost the same anywhere; no assertion on time).
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const ROWS = 1_000_000;
const MAX_GROWTH_MB = 400;
const MAX_TREND_MB = 100;

let server: RunningServer;
let cookie: string;

function residentMb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return Number(match![1]) / 1024;
}

before(async () => {
  const dataDir = tempDir();
  server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: "owner", OPSTAGE_ADMIN_PASSWORD: "owner-password-123" },
  });
  const db = new Database(path.join(dataDir, "opstage.db"));
  db.pragma("busy_timeout = 5000");
  const insert = db.prepare(
    `INSERT INTO AuditEvent (id, actorType, actorId, action, targetType, targetId, result, message, metadataJson, createdAt)
     VALUES (?, 'SYSTEM', 'bulk', 'bulk.row', 'thing', ?, 'SUCCESS', 'a row of the bulk export test', '{"n":1}', ?)`,
  );
  const start = Date.UTC(2026, 0, 1);
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      insert.run(
        `bulk${String(i).padStart(7, "0")}`,
        `t${i % 100}`,
        new Date(start + i * 1000).toISOString().replace("Z", "+00:00"),
      );
    }
  })();
  db.close();
  // Signed in after the seeding: a keep-alive socket left idle through it would be closed by
  // the server just as the export reused it.
  cookie = await signIn(server.url, "owner", "owner-password-123");
});

after(async () => {
  await server?.stop();
});

test(`exporting ${ROWS} rows as NDJSON keeps the server's memory flat`, async () => {
  const pid = server.process.pid!;
  const baseline = residentMb(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, residentMb(pid))), 200);
  const started = Date.now();
  let lines = 0;
  let first = "";
  const series: number[] = [];
  try {
    const response = await fetch(`${server.url}/api/admin/audit/export?format=ndjson&action=bulk.`, {
      headers: { Cookie: cookie },
    });
    assert.equal(response.status, 200);
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (!first) first = text.slice(0, text.indexOf("\n"));
      for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
        if (++lines % 100_000 === 0) series.push(Math.round(residentMb(pid)));
      }
    }
  } finally {
    clearInterval(sampler);
  }
  console.log(
    `# exported ${lines} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; server RSS ${baseline.toFixed(0)} MB → peak ${peak.toFixed(0)} MB; every 100k rows: ${series.join(", ")} MB`,
  );
  assert.equal(lines, ROWS);
  assert.equal((JSON.parse(first) as { id: string }).id, `bulk${String(ROWS - 1).padStart(7, "0")}`, "newest first");
  assert.ok(peak - baseline < MAX_GROWTH_MB, `server memory grew ${(peak - baseline).toFixed(0)} MB`);
  const firstHalf = Math.max(...series.slice(0, series.length / 2));
  const secondHalf = Math.max(...series.slice(series.length / 2));
  assert.ok(secondHalf - firstHalf < MAX_TREND_MB, `memory grows with the rows: ${series.join(", ")} MB`);

  const time = async (query: string) => {
    const t = performance.now();
    const response = await fetch(`${server.url}/api/admin/audit?action=bulk.&limit=50${query}`, {
      headers: { Cookie: cookie },
    });
    const page = (await response.json()) as { events: { id: string }[] };
    return { ms: performance.now() - t, first: page.events[0]?.id };
  };
  const deepCursor = Buffer.from(`${Date.UTC(2026, 0, 1) + 1000 * 1000}.bulk0001000`).toString("base64url");
  const top = await time("");
  const deep = await time(`&cursor=${deepCursor}`);
  assert.equal(deep.first, "bulk0000999");
  console.log(`# first page ${top.ms.toFixed(0)} ms; page at row ${ROWS - 1000} ${deep.ms.toFixed(0)} ms`);
});
