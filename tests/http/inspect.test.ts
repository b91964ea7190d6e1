// Browse, compare and export of stored backups through the running server: owner only, secrets
// masked in every answer, export and log line, refusals in verify's words.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { ComparisonJob } from "../../lib/inspect/types";
import { backupDatabase, KNOWN_SECRETS, liveDatabase } from "../support/inspect-fixture";
import { runCli, startServer, type RunningServer } from "../support/server";
import { signIn } from "../support/session";
import { tempDir } from "../support/temp";

const BACKUP = "opstage-20261201T100000.000Z-fixture.db";
const OWNER = { username: "olive", password: "olive-password-123" };
const OPERATOR = { username: "oscar", password: "oscar-password-123" };
const VIEWER = { username: "vicky", password: "vicky-password-123" };

let server: RunningServer;
let dataDir: string;
const cookies: Record<string, string> = {};
let everything = "";

function api(pathname: string, cookie: string, init: RequestInit = {}) {
  return fetch(`${server.url}${pathname}`, {
    ...init,
    headers: { Cookie: cookie, ...(init.body ? { "Content-Type": "application/json" } : {}), ...init.headers },
  });
}

async function text(response: Response): Promise<string> {
  const body = await response.text();
  everything += body;
  return body;
}

const base = (name = BACKUP) => `/api/admin/backups/${encodeURIComponent(name)}`;

async function compare(cookie: string, name: string, against: object): Promise<ComparisonJob> {
  const started = await api(`${base(name)}/compare`, cookie, { method: "POST", body: JSON.stringify(against) });
  const startedBody = await text(started);
  assert.equal(started.status, 202, startedBody);
  let job = JSON.parse(startedBody) as ComparisonJob;
  const deadline = Date.now() + 30_000;
  while (job.state === "running") {
    assert.ok(Date.now() < deadline, "the comparison ends");
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = JSON.parse(await text(await api(`${base(name)}/compare?id=${job.id}`, cookie))) as ComparisonJob;
  }
  return job;
}

before(async () => {
  dataDir = tempDir();
  const backupDir = path.join(dataDir, "backups");
  mkdirSync(backupDir, { recursive: true });
  const fixtures = tempDir();
  const backup = backupDatabase(fixtures);
  copyFileSync(liveDatabase(backup, fixtures), path.join(dataDir, "opstage.db"));
  copyFileSync(backup, path.join(backupDir, BACKUP));
  const foreign = new Database(path.join(backupDir, "foreign.db"));
  foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  foreign.close();
  writeFileSync(path.join(backupDir, "not-sqlite.db"), "not a database\n".repeat(400));
  server = await startServer({ dataDir });
  for (const [who, role] of [
    [OWNER, "owner"],
    [OPERATOR, "operator"],
    [VIEWER, "viewer"],
  ] as const) {
    assert.equal(runCli(dataDir, ["user", "create", who.username, "--role", role], `${who.password}\n`).code, 0);
    cookies[role] = await signIn(server.url, who.username, who.password);
  }
});

after(async () => {
  await server?.stop();
});

const ROUTES: [string, string, RequestInit?][] = [
  ["GET", `${base()}/inspect`],
  ["GET", `${base()}/inspect/rows?table=User`],
  ["GET", `${base()}/export?table=User&format=csv`],
  ["POST", `${base()}/compare`, { body: JSON.stringify({ against: "live" }) }],
  ["GET", `${base()}/compare?id=anything`],
  ["DELETE", `${base()}/compare?id=anything`],
];

describe("roles", () => {
  test("operators and viewers get 403 on every new route; without a session, 401", async () => {
    for (const role of ["operator", "viewer"]) {
      for (const [method, url, init] of ROUTES) {
        const response = await api(url, cookies[role]!, { method, ...init });
        assert.equal(response.status, 403, `${method} ${url} as ${role}`);
      }
    }
    for (const [method, url, init] of ROUTES) {
      assert.equal((await api(url, "", { method, ...init })).status, 401, `${method} ${url} signed out`);
    }
    const page = await api(`/settings/backups/${BACKUP}`, cookies.viewer!, { redirect: "manual" });
    assert.equal(page.status, 404, "the page does not exist for a viewer");
  });
});

describe("as the owner", () => {
  test("browse: tables, rows of every table and the domain views, no secret in any answer", async () => {
    const response = await api(`${base()}/inspect`, cookies.owner!);
    const body = JSON.parse(await text(response)) as {
      tables: { name: string; rows: number }[];
      domain: { users: { username: string; role: string }[] };
    };
    assert.equal(response.status, 200);
    assert.equal(body.tables.find((t) => t.name === "AuditEvent")?.rows, 100);
    assert.deepEqual(
      body.domain.users.map((u) => [u.username, u.role]),
      [
        ["alice", "owner"],
        ["bob", "operator"],
      ],
    );
    for (const table of body.tables) {
      const rows = await api(`${base()}/inspect/rows?table=${table.name}&limit=500`, cookies.owner!);
      assert.equal(rows.status, 200, table.name);
      await text(rows);
      for (const format of ["csv", "ndjson"]) {
        const exported = await api(`${base()}/export?table=${table.name}&format=${format}`, cookies.owner!);
        assert.equal(exported.status, 200);
        assert.match(exported.headers.get("content-disposition") ?? "", /attachment/);
        await text(exported);
      }
    }
    const sized = await api(`${base()}/inspect?sizes=1`, cookies.owner!);
    const sizes = JSON.parse(await text(sized)) as { tables: { name: string; bytes: number }[] };
    assert.ok(sizes.tables.every((t) => t.bytes > 0));
    const missing = await api(`${base()}/inspect/rows?table=Nope`, cookies.owner!);
    assert.equal(missing.status, 404);
  });

  test("compare the backup with the live database: the known differences as lines", async () => {
    const job = await compare(cookies.owner!, BACKUP, { against: "live" });
    assert.equal(job.state, "done", JSON.stringify(job.error));
    const lines = job.result!.domain;
    for (const expected of [
      "alice: viewer → owner",
      "token host-cron: revoked → works",
      "schedule: 0 3 * * * → off",
      "user carol removed",
    ]) {
      assert.ok(lines.includes(expected), `${expected} in ${lines.join(" | ")}`);
    }
    // The live database has the fixture's 1,204 extra events and what the server recorded since.
    assert.ok(
      lines.some((line) => /^1,[2-9]\d\d audit events removed$/.test(line)),
      lines.join(" | "),
    );
    assert.ok(job.progress && job.progress.done === job.progress.total);
  });

  test("a backup compared with itself reports no change", async () => {
    const job = await compare(cookies.owner!, BACKUP, { against: "backup", name: BACKUP });
    assert.equal(job.state, "done");
    assert.equal(job.result!.identical, true);
    assert.deepEqual(job.result!.tables, []);
  });

  test("a foreign or non-SQLite file is refused with the words verify uses", async () => {
    for (const name of ["foreign.db", "not-sqlite.db"]) {
      const refused = await api(`${base(name)}/inspect`, cookies.owner!);
      const refusal = JSON.parse(await text(refused)) as { error: { code: string; message: string } };
      assert.equal(refused.status, 422, name);
      const verified = await api(`${base(name)}/verify`, cookies.owner!, { method: "POST" });
      const verification = JSON.parse(await text(verified)) as { detail: string; restorable: boolean };
      assert.equal(verification.restorable, false);
      assert.ok(
        refusal.error.message.includes(verification.detail),
        `${refusal.error.message} / ${verification.detail}`,
      );
      // Once verified, refused up front from the manifest, in the same words.
      const again = await api(`${base(name)}/compare`, cookies.owner!, {
        method: "POST",
        body: JSON.stringify({ against: "live" }),
      });
      const second = JSON.parse(await text(again)) as { error: { message: string } };
      assert.equal(again.status, 422);
      assert.ok(second.error.message.includes(verification.detail));
    }
  });

  test("no known secret in any answer, export or log line", () => {
    assert.ok(everything.length > 10_000, "the answers were collected");
    const log = server.output();
    for (const [name, secret] of Object.entries(KNOWN_SECRETS)) {
      assert.ok(!everything.includes(secret), `an answer shows ${name}`);
      assert.ok(!log.includes(secret), `the log shows ${name}`);
    }
  });
});
