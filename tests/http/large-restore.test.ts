// A console restore of a large database (1 GB unless OPSTAGE_TEST_LARGE_RESTORE_MB says
// otherwise): /api/health answers all along, requests wait only for the swap, and the restored
// database is served. The waits are printed, not asserted against a time (the machine is shared).
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { growDatabase, integrityOf, queryOne } from "../support/db";
import { startServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const MEGABYTES = Number(process.env.OPSTAGE_TEST_LARGE_RESTORE_MB ?? 1024);
const OWNER = { username: "owner", password: "owner-password-123" };

type Sample = { status: number; ms: number; started: number; ended: number };

async function sample(url: string, headers: Record<string, string> = {}): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  const ended = performance.now();
  return { status: response.status, ms: ended - started, started, ended };
}

test(`a ${MEGABYTES} MB console restore: /api/health keeps answering and requests wait only for the swap`, async () => {
  const dataDir = tempDir();
  const env = { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password };
  const dbFile = path.join(dataDir, "opstage.db");
  await (await startServer({ dataDir, env })).stop();
  growDatabase(dbFile, MEGABYTES);
  const server = await startServer({ dataDir, env });
  try {
    const cookie = await signIn(server.url, OWNER.username, OWNER.password);
    const made = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
    assert.equal(made.status, 201, await made.clone().text());
    const { name } = (await made.json()) as { name: string };

    let restoring = true;
    const health: Sample[] = [];
    const reads: Sample[] = [];
    const poll = async (into: Sample[], url: string, headers?: Record<string, string>) => {
      while (restoring) into.push(await sample(url, headers));
    };
    const polling = Promise.all([
      poll(health, `${server.url}/api/health`),
      poll(reads, `${server.url}/api/admin/tokens`, { Cookie: cookie }),
    ]);
    const started = performance.now();
    const restored = await fetch(`${server.url}/api/admin/restore`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const ended = performance.now();
    const restoreMs = ended - started;
    restoring = false;
    await polling;
    assert.equal(restored.status, 200, await restored.clone().text());

    const statuses = (samples: Sample[]) => [...new Set(samples.map((s) => s.status))].sort();
    const longest = (samples: Sample[]) => Math.max(...samples.map((s) => s.ms));
    assert.ok(health.length > 0 && reads.length > 0);
    assert.deepEqual(
      statuses(health).filter((status) => status !== 200 && status !== 503),
      [],
      "health: 200 or 503 only",
    );
    assert.deepEqual(
      statuses(reads).filter((status) => status !== 200 && status !== 503),
      [],
      "reads: served or 503",
    );
    // The copy and its verification take most of the time, and the console serves meanwhile:
    // only the swap holds requests back.
    const servedDuring = reads.filter((s) => s.status === 200 && s.started > started && s.ended < ended);
    assert.ok(servedDuring.length > 0, "requests were served while the restore copied and verified");
    console.log(
      `# ${MEGABYTES} MB restore: ${Math.round(restoreMs)} ms in all; health ${health.length} answers ${JSON.stringify(statuses(health))}, ` +
        `longest ${Math.round(longest(health))} ms; a token list request waited at most ${Math.round(longest(reads))} ms ` +
        `(${reads.length} requests, ${reads.filter((s) => s.status === 503).length} answered 503)`,
    );
    assert.equal(integrityOf(dbFile), "ok");
    assert.equal(queryOne<{ n: number }>(dbFile, "SELECT count(*) AS n FROM LargeFill").n, MEGABYTES);
  } finally {
    await server.stop();
  }
});
