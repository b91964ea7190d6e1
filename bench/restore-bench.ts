// Restore benchmark: the CLI restore and the console restore against the floor of a hashed copy,
// at 1 GB and 4 GB in the same run by default. The floor of each run is max(`cp` + fsync of the
// backup to a new file beside opstage.db, `openssl dgst -sha256` of the backup): a restore must
// at least copy the bytes and hash them. Each run measures the floor, then the CLI restore (server
// stopped), then the console restore (POST /api/admin/restore on the production build, as the
// owner), one right after the other, so that each ratio compares times taken under the same load.
// Before each measurement the server is idle (every stored backup hashed and proven: no proof,
// no pre-restore hashing left; nothing else is configured that could run), the page cache's
// dirty data is written back, and the backup is wholly in the page cache (read once, untimed).
// Each restore's own phases (copy, check, verify, WAL, carry-over, keep, swap; the console's
// pause, reopen, audit, resume) come from its report. A report, not a test: nothing here asserts
// a time.
//
//   npm run bench                                   (both sizes, 3 runs each)
//   npx tsx bench/restore-bench.ts --size-mb 1024 --runs 1      (one size, quick)
//   OPSTAGE_BENCH_RESTORE_SIZES_MB=512,2048 OPSTAGE_BENCH_RESTORE_RUNS=5 npx tsx bench/restore-bench.ts
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { copyGeneratedDatabase } from "./generate-database";
import { cliPhases, fsyncFile, median, ready, writtenBack } from "./page-cache";
import { projectRoot, runCli, startServer, type RunningServer } from "../tests/support/server";
import { signIn } from "../tests/support/session";

// bench.sh passes the same arguments to every benchmark: --size-mb (one size only) and --runs.
const { values } = parseArgs({ options: { "size-mb": { type: "string" }, runs: { type: "string" } } });
const SIZES_MB = (values["size-mb"] ?? process.env.OPSTAGE_BENCH_RESTORE_SIZES_MB ?? "1024,4096")
  .split(",")
  .map(Number);
const RUNS = Math.max(1, Number(values.runs ?? process.env.OPSTAGE_BENCH_RESTORE_RUNS ?? 3));
if (SIZES_MB.some((size) => !Number.isInteger(size) || size <= 0))
  throw new Error("sizes are whole MB, e.g. 1024,4096");
const OWNER = { username: "bench", password: "bench-password-123" };
const ENV = { OPSTAGE_ADMIN_USERNAME: OWNER.username, OPSTAGE_ADMIN_PASSWORD: OWNER.password };
// The 4 GB proof (sha256 and a full integrity_check) takes minutes on a loaded machine.
const IDLE_TIMEOUT_MS = 15 * 60_000;

const log = (message: string) => process.stderr.write(`[restore-bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => (performance.now() - since) / 1000;
const round3 = (x: number) => Number(x.toFixed(3));
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

type ListedBackup = { name: string; kind: string; sha256: string | null; verification: { state: string } | null };

async function listBackups(server: RunningServer, cookie: string): Promise<ListedBackup[]> {
  const response = await fetch(`${server.url}/api/admin/backups`, { headers: { Cookie: cookie } });
  if (response.status !== 200) throw new Error(`GET /api/admin/backups answered ${response.status}`);
  return ((await response.json()) as { backups: ListedBackup[] }).backups;
}

/**
 * The server is idle when every backup it stores is hashed and proven: after a backup its proof
 * (lib/backup/proof.ts), after a console restore the pre-restore backup's sha256 and proof run in
 * the background. No schedule, offsite target or replication is configured here, and the
 * benchmark's own requests (backup, restore) have answered. Returns the seconds waited.
 */
async function serverIdle(server: RunningServer, cookie: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const backups = await listBackups(server, cookie);
    if (backups.every((b) => b.kind === "external" || (b.sha256 && b.verification))) return seconds(started);
    if (performance.now() - started > IDLE_TIMEOUT_MS) {
      throw new Error(`the server was not idle after ${IDLE_TIMEOUT_MS / 60_000} min: ${JSON.stringify(backups)}`);
    }
    await sleep(250);
  }
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

type Run = {
  loadAvg: number[];
  cpNewFileS: number;
  sha256S: number;
  floorS: number;
  cliS: number;
  cliPhasesMs: Record<string, number>;
  consoleS: number;
  consolePhasesMs: Record<string, number>;
  idleWaitS: number;
  /** MB of the backup in the page cache as each measurement started (fincore). */
  sourceCachedMb: Record<string, number | null>;
};

async function measureSize(sizeMb: number) {
  const root = path.join(tmpdir(), `opstage-restore-bench-${Date.now()}-${sizeMb}mb`);
  const dataDir = path.join(root, "data");
  mkdirSync(dataDir, { recursive: true });
  const database = path.join(dataDir, "opstage.db");
  const backupDir = path.join(dataDir, "backups");
  try {
    copyGeneratedDatabase(database, sizeMb, log);
    await writtenBack();

    // The backup every run restores: made by the server, so that it has a manifest (sha256) and
    // the restore takes the path a stored backup takes (quick_check beside the copy).
    let server = await startServer({ dataDir, env: ENV });
    let cookie = await signIn(server.url, OWNER.username, OWNER.password);
    const made = await fetch(`${server.url}/api/admin/backups`, { method: "POST", headers: { Cookie: cookie } });
    if (made.status !== 201) throw new Error(`backup answered ${made.status}: ${await made.text()}`);
    const { name: backupName, bytes } = (await made.json()) as { name: string; bytes: number };
    const source = path.join(backupDir, backupName);
    log(`${sizeMb} MB: backup ${backupName} (${(bytes / 1048576).toFixed(0)} MB); waiting for its proof`);
    await serverIdle(server, cookie);
    await server.stop();

    // Pre-restore backups are deleted between runs: each is a hard link to a replaced database,
    // and every run should write its copy into the same free space (backup-bench.ts says why).
    const deletePreRestores = () => {
      for (const file of readdirSync(backupDir)) {
        if (file.includes("pre-restore")) rmSync(path.join(backupDir, file), { force: true });
      }
    };

    const runs: Run[] = [];
    for (let i = 1; i <= RUNS; i++) {
      log(`${sizeMb} MB: run ${i}/${RUNS}, load ${load().join(" ")}`);
      const loadAvg = load();
      // The floor: copy beside opstage.db, where the restore writes its temp file.
      const cached: Record<string, number | null> = {};
      cached.cp = await ready(source);
      const copy = path.join(dataDir, `.bench-floor-${i}.db`);
      let started = performance.now();
      run("cp", [source, copy]);
      fsyncFile(copy);
      const cpNewFileS = seconds(started);
      rmSync(copy);
      cached.sha256 = await ready(source);
      started = performance.now();
      run("openssl", ["dgst", "-sha256", source]);
      const sha256S = seconds(started);

      // The CLI restore, server stopped: process start included, as an operator would time it.
      cached.cli = await ready(source);
      started = performance.now();
      const restored = runCli(dataDir, ["restore", source, "--yes"]);
      const cliS = seconds(started);
      if (restored.code !== 0) throw new Error(`CLI restore failed: ${restored.stderr}`);
      const cliPhasesMs = cliPhases(restored.stdout);
      deletePreRestores();

      // The console restore: request → answer, as the owner, on an idle server.
      server = await startServer({ dataDir, env: ENV });
      cookie = await signIn(server.url, OWNER.username, OWNER.password);
      const idleWaitS = await serverIdle(server, cookie);
      cached.console = await ready(source);
      started = performance.now();
      const response = await fetch(`${server.url}/api/admin/restore`, {
        method: "POST",
        headers: { Cookie: cookie, "Content-Type": "application/json" },
        body: JSON.stringify({ name: backupName }),
      });
      const consoleS = seconds(started);
      if (response.status !== 200)
        throw new Error(`console restore answered ${response.status}: ${await response.text()}`);
      const report = (await response.json()) as { phasesMs?: Record<string, number> };
      // Everyone signs in again after a restore; then the pre-restore backup's hash and proof.
      cookie = await signIn(server.url, OWNER.username, OWNER.password);
      await serverIdle(server, cookie);
      await server.stop();
      deletePreRestores();

      const floorS = Math.max(cpNewFileS, sha256S);
      const entry: Run = {
        loadAvg,
        cpNewFileS: round3(cpNewFileS),
        sha256S: round3(sha256S),
        floorS: round3(floorS),
        cliS: round3(cliS),
        cliPhasesMs,
        consoleS: round3(consoleS),
        consolePhasesMs: Object.fromEntries(
          Object.entries(report.phasesMs ?? {}).map(([phase, ms]) => [phase, Math.round(ms)]),
        ),
        idleWaitS: round3(idleWaitS),
        sourceCachedMb: cached,
      };
      log(
        `${sizeMb} MB run ${i}: floor ${floorS.toFixed(2)} s (cp+fsync ${cpNewFileS.toFixed(2)}, sha256 ${sha256S.toFixed(2)}); ` +
          `CLI ${cliS.toFixed(2)} s = ${(cliS / floorS).toFixed(2)}×; console ${consoleS.toFixed(2)} s = ${(consoleS / floorS).toFixed(2)}×`,
      );
      log(`  CLI phases ${JSON.stringify(entry.cliPhasesMs)}`);
      log(`  console phases ${JSON.stringify(entry.consolePhasesMs)}`);
      runs.push(entry);
    }
    const floor = median(runs.map((r) => r.floorS));
    const cli = median(runs.map((r) => r.cliS));
    const consoleRestore = median(runs.map((r) => r.consoleS));
    return {
      sizeMb,
      databaseMB: Number((bytes / 1048576).toFixed(1)),
      medians: {
        cpNewFileS: round3(median(runs.map((r) => r.cpNewFileS))),
        sha256S: round3(median(runs.map((r) => r.sha256S))),
        floorS: round3(floor),
        cliS: round3(cli),
        consoleS: round3(consoleRestore),
      },
      // Median restore over median floor; the per-run ratios are below.
      ratios: { cli: round3(cli / floor), console: round3(consoleRestore / floor) },
      perRunRatios: runs.map((r) => ({ cli: round3(r.cliS / r.floorS), console: round3(r.consoleS / r.floorS) })),
      runs,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main() {
  const started = new Date();
  const loadAtStart = load();
  const sizes = [];
  for (const size of SIZES_MB) sizes.push(await measureSize(size));
  const fmt = (x: number) => x.toFixed(2);
  const table = [
    `Restore benchmark — ${RUNS} run(s) per size, medians, ${cpus().length} cores, Node ${process.version}, load at start ${loadAtStart.join(" ")}, at end ${load().join(" ")}`,
    "",
    "| size | cp + fsync s | sha256 s | floor s | CLI restore s | CLI / floor | console restore s | console / floor |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...sizes.map(
      (s) =>
        `| ${s.databaseMB} MB | ${fmt(s.medians.cpNewFileS)} | ${fmt(s.medians.sha256S)} | ${fmt(s.medians.floorS)} | ${fmt(s.medians.cliS)} | ${fmt(s.ratios.cli)}× | ${fmt(s.medians.consoleS)} | ${fmt(s.ratios.console)}× |`,
    ),
  ].join("\n");
  console.log(table);
  const summary = {
    date: started.toISOString(),
    machine: { cpus: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
    loadAvg: { start: loadAtStart, end: load() },
    runs: RUNS,
    sizes,
    table,
  };
  const resultsDir = path.join(projectRoot, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  const stamp = summary.date.slice(0, 16).replace(/:/g, "");
  const resultFile = path.join(resultsDir, `${stamp}-restore-${SIZES_MB.join("-")}mb.json`);
  writeFileSync(resultFile, `${JSON.stringify(summary, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), resultFile)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
