// Inspect benchmark: browse's first page on a large backup, and a comparison of two large
// backups that differ in 1 % of rows, through the production server, against `cp` + fsync of
// one of the files in the same run; the server's resident memory growth while it compares.
// A report, not a test: nothing here asserts a time.
//
//   npx tsx bench/inspect-bench.ts --size-mb 1024 [--runs 3]
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import type { ComparisonJob } from "../lib/inspect/types";
import { copyGeneratedDatabase } from "./generate-database";
import { projectRoot, startServer } from "../tests/support/server";
import { signIn } from "../tests/support/session";
import { tempDir } from "../tests/support/temp";
import { fsyncFile } from "./page-cache";
import { rssSampler } from "./rss-sampler";

const { values } = parseArgs({
  options: { "size-mb": { type: "string", default: "1024" }, runs: { type: "string", default: "3" } },
});
const SIZE_MB = Number(values["size-mb"]);
const RUNS = Math.max(1, Number(values.runs));
const OWNER = { username: "bench", password: "bench-password-123" };
const FROM = "opstage-20261201T000000.000Z-bench-from.db";
const TO = "opstage-20261201T000000.000Z-bench-to.db";

const log = (message: string) => process.stderr.write(`[inspect-bench] ${message}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => bytes / 1048576;

/** 1 % of the audit events differ: 0.5 % changed, 0.25 % deleted, 0.25 % added. */
function differByOnePercent(file: string): { changed: number; removed: number; added: number } {
  const db = new Database(file);
  db.pragma("journal_mode = DELETE");
  db.pragma("synchronous = OFF");
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM "AuditEvent"`).get() as { n: number };
  const changed = db
    .prepare(`UPDATE "AuditEvent" SET message = 'changed by the bench' WHERE rowid % 200 = 0`)
    .run().changes;
  const removed = db.prepare(`DELETE FROM "AuditEvent" WHERE rowid % 400 = 1`).run().changes;
  const insert = db.prepare(
    `INSERT INTO "AuditEvent" (id, actorType, action, result, message, createdAt) VALUES (?, 'USER', 'bench.added', 'SUCCESS', 'added', ?)`,
  );
  const added = Math.round(n / 400);
  db.transaction(() => {
    for (let i = 0; i < added; i++) insert.run(`bench-added-${i}`, new Date().toISOString());
  })();
  db.close();
  return { changed, removed, added };
}

function cpAndFsync(source: string, target: string): number {
  rmSync(target, { force: true });
  const started = performance.now();
  execFileSync("cp", [source, target]);
  fsyncFile(target);
  const ms = performance.now() - started;
  rmSync(target, { force: true });
  return ms;
}

async function main() {
  const dataDir = tempDir("opstage-inspect-bench-");
  const backupDir = path.join(dataDir, "backups");
  mkdirSync(backupDir, { recursive: true });
  const fromFile = path.join(backupDir, FROM);
  const toFile = path.join(backupDir, TO);
  copyGeneratedDatabase(fromFile, SIZE_MB, log);
  copyGeneratedDatabase(toFile, SIZE_MB, log);
  const difference = differByOnePercent(toFile);
  log(`to differs from from: ${JSON.stringify(difference)}`);

  const server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password },
  });
  try {
    const cookie = await signIn(server.url, OWNER.username, OWNER.password);
    const get = (url: string, init: RequestInit = {}) =>
      fetch(`${server.url}${url}`, { ...init, headers: { Cookie: cookie, "Content-Type": "application/json" } });
    const base = (name: string) => `/api/admin/backups/${encodeURIComponent(name)}`;
    const runs: {
      cpMs: number;
      firstPageMs: number;
      contentsMs: number;
      sizesMs: number;
      compareMs: number;
      rssGrowth: number;
    }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cpMs = cpAndFsync(fromFile, path.join(dataDir, "cp-target.db"));

      let started = performance.now();
      const page = await get(`${base(TO)}/inspect/rows?table=AuditEvent&limit=50`);
      if (page.status !== 200) throw new Error(`rows: ${page.status} ${await page.text()}`);
      await page.json();
      const firstPageMs = performance.now() - started;

      started = performance.now();
      const contents = await get(`${base(TO)}/inspect`);
      if (contents.status !== 200) throw new Error(`inspect: ${contents.status} ${await contents.text()}`);
      await contents.json();
      const contentsMs = performance.now() - started;

      started = performance.now();
      const sizes = await get(`${base(TO)}/inspect?sizes=1`);
      if (sizes.status !== 200) throw new Error(`sizes: ${sizes.status} ${await sizes.text()}`);
      await sizes.json();
      const sizesMs = performance.now() - started;

      const rss = rssSampler(server.process.pid!);
      started = performance.now();
      const posted = await get(`${base(TO)}/compare`, {
        method: "POST",
        body: JSON.stringify({ against: "backup", name: FROM }),
      });
      let job = (await posted.json()) as ComparisonJob;
      while (job.state === "running") {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = (await (await get(`${base(TO)}/compare?id=${job.id}`)).json()) as ComparisonJob;
      }
      const compareMs = performance.now() - started;
      const memory = rss.stop();
      if (job.state !== "done") throw new Error(`compare: ${JSON.stringify(job.error)}`);
      const audit = job.result!.tables.find((t) => t.table === "AuditEvent");
      log(
        `run ${run + 1}: cp+fsync ${cpMs.toFixed(0)} ms, first page ${firstPageMs.toFixed(0)} ms, tables+views ${contentsMs.toFixed(0)} ms, sizes ${sizesMs.toFixed(0)} ms, compare ${compareMs.toFixed(0)} ms (${(compareMs / cpMs).toFixed(2)}× cp), RSS growth ${mb(memory.growth).toFixed(1)} MB; found ${audit?.added} added, ${audit?.removed} removed, ${audit?.changed} changed`,
      );
      runs.push({ cpMs, firstPageMs, contentsMs, sizesMs, compareMs, rssGrowth: memory.growth });
    }
    const summary = {
      sizeMb: SIZE_MB,
      runs: RUNS,
      difference,
      cpFsyncMs: median(runs.map((r) => r.cpMs)),
      firstPageMs: median(runs.map((r) => r.firstPageMs)),
      tablesAndViewsMs: median(runs.map((r) => r.contentsMs)),
      sizesMs: median(runs.map((r) => r.sizesMs)),
      compareMs: median(runs.map((r) => r.compareMs)),
      compareOverCp: median(runs.map((r) => r.compareMs / r.cpMs)),
      rssGrowthMB: {
        max: mb(Math.max(...runs.map((r) => r.rssGrowth))),
        median: mb(median(runs.map((r) => r.rssGrowth))),
      },
      all: runs,
    };
    console.log(
      [
        `| inspect, ${SIZE_MB} MB backups (median of ${RUNS}) | |`,
        "|---|---|",
        `| browse: first page of the largest table | ${summary.firstPageMs.toFixed(0)} ms |`,
        `| browse: tables (row counts) and domain views | ${summary.tablesAndViewsMs.toFixed(0)} ms |`,
        `| browse: table sizes (dbstat, every page) | ${summary.sizesMs.toFixed(0)} ms |`,
        `| compare, 1 % of rows differ | ${summary.compareMs.toFixed(0)} ms |`,
        `| cp + fsync of one file | ${summary.cpFsyncMs.toFixed(0)} ms |`,
        `| compare ÷ cp (per run, median) | ${summary.compareOverCp.toFixed(2)}× |`,
        `| server RSS growth while comparing (max / median) | ${summary.rssGrowthMB.max.toFixed(1)} / ${summary.rssGrowthMB.median.toFixed(1)} MB |`,
      ].join("\n"),
    );
    const resultsDir = path.join(projectRoot, "bench/results");
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 13);
    writeFileSync(path.join(resultsDir, `${stamp}-${SIZE_MB}mb-inspect.json`), `${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
