// Replication benchmark: what continuous replication (Litestream to a `file` replica, 1 s sync
// interval) costs and gives, in one run on this machine. A report, not a test.
// - RPO: at sample moments T during a 1 ms writer, the replica restored to T; the newest row in it
//   against T is what a disk lost at T would have cost (p50, p99 = the worst of the samples).
// - The writer's commit latency p50/p99 with replication off and on.
// - Litestream's CPU (share of one core) and peak RSS while the writer runs.
// - Restoring to a moment vs `cp` of the same database; with --size-mb, also on a generated
//   database of that size: `litestream restore -timestamp` alone, and the whole
//   `opstage restore --at` (Litestream's restore, the full check and hash, pre-restore link,
//   swap), each against `cp` + fsync, --runs times (medians, and each run's own ratio). Every
//   step starts with its input in the page cache and no dirty pages pending (page-cache.ts).
//
//   npx tsx bench/replication-bench.ts [--seconds 20] [--samples 20] [--size-mb 1024] [--runs 3]
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { litestreamBinary } from "../lib/replication/binary";
import { readPid, rowNumbers, startRowWriter, type Commit } from "../tests/support/replication";
import { runCli, startServer } from "../tests/support/server";
import { tempDir } from "../tests/support/temp";
import { copyGeneratedDatabase } from "./generate-database";
import { cliPhases, fsyncFile, median, ready } from "./page-cache";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    samples: { type: "string", default: "20" },
    "size-mb": { type: "string" },
    // With --size-mb: how many times the restore to a moment is timed (medians reported).
    runs: { type: "string", default: "3" },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const SIZE_MB = values["size-mb"] ? Number(values["size-mb"]) : null;
const SECONDS = Number(values.seconds);
const SAMPLES = Number(values.samples);
const log = (message: string) => process.stderr.write(`[replication-bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const CLOCK_TICKS = 100;

function latencies(commits: Commit[]) {
  const ms = commits.map(([, started, committed]) => committed - started);
  return { commits: commits.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: Math.max(...ms) };
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function writerRun(env: Record<string, string>, label: string) {
  const dataDir = tempDir();
  const dbFile = path.join(dataDir, "opstage.db");
  const server = await startServer({ dataDir, env });
  const writer = await startRowWriter(dbFile, "b", 1);
  const litestream = readPid(path.join(dataDir, "litestream.pid"));
  const ticksBefore = litestream ? cpuTicks(litestream) : 0;
  const started = Date.now();
  let peakRss = 0;
  const samples: number[] = [];
  const restoreMs: number[] = [];
  const deadline = started + SECONDS * 1000;
  while (Date.now() < deadline) {
    if (litestream) peakRss = Math.max(peakRss, rssMb(litestream));
    if (litestream && samples.length < SAMPLES && Date.now() > started + 3000) samples.push(Date.now());
    await sleep(Math.max(200, (SECONDS * 1000 - 3000) / (SAMPLES + 1)));
  }
  const cpu = litestream ? (cpuTicks(litestream) - ticksBefore) / CLOCK_TICKS / ((Date.now() - started) / 1000) : 0;
  const { commits } = await writer.stop();
  const committedAt = new Map(commits.map(([n, , at]) => [n, at]));
  const rpo: number[] = [];
  if (litestream) {
    await sleep(3000); // the last samples' data reaches the replica
    for (const at of samples) {
      const out = path.join(dataDir, `.bench-restore-${at}.db`);
      const t0 = Date.now();
      execFileSync(litestreamBinary(), [
        "restore",
        "-config",
        path.join(dataDir, "litestream.yml"),
        "-o",
        out,
        "-timestamp",
        new Date(at).toISOString(),
        dbFile,
      ]);
      restoreMs.push(Date.now() - t0);
      const rows = rowNumbers(out, "b");
      const newest = rows.length ? committedAt.get(rows.at(-1)!)! : started;
      rpo.push(at - newest);
      rmSync(out, { force: true });
    }
  }
  const t0 = Date.now();
  copyFileSync(dbFile, path.join(dataDir, "copy.db"));
  const cpMs = Date.now() - t0;
  await server.stop();
  log(`${label}: ${commits.length} commits`);
  return {
    writer: latencies(commits),
    litestream: litestream
      ? { cpuShareOfOneCore: Number(cpu.toFixed(3)), peakRssMb: Number(peakRss.toFixed(1)) }
      : null,
    rpoMs: rpo.length
      ? { samples: rpo.length, p50: percentile(rpo, 50), p99: percentile(rpo, 99), max: Math.max(...rpo) }
      : null,
    restoreToMomentMs: restoreMs.length ? { p50: percentile(restoreMs, 50), max: Math.max(...restoreMs) } : null,
    cpMs,
  };
}

/** Seconds from the first to the last call of the function given. */
function seconds(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

function copyWithFsync(from: string, to: string): void {
  copyFileSync(from, to);
  fsyncFile(to);
}

/** A generated database of sizeMb replicated to a folder, then restored to a moment three ways. */
async function largeRestoreRun(sizeMb: number) {
  const dataDir = tempDir();
  const dbFile = path.join(dataDir, "opstage.db");
  const replicaDir = tempDir("opstage-bench-replica-");
  copyGeneratedDatabase(dbFile, sizeMb, log);
  execFileSync("sync");
  const env = {
    OPSTAGE_REPLICATION: "file",
    OPSTAGE_REPLICATION_PATH: replicaDir,
    OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
  };
  const started = Date.now();
  const server = await startServer({ dataDir, env });
  let firstSnapshotS: number;
  let at: number;
  try {
    const snapshotted = () => {
      const generations = path.join(replicaDir, "generations");
      return (
        existsSync(generations) &&
        readdirSync(generations).some(
          (g) =>
            existsSync(path.join(generations, g, "snapshots")) &&
            readdirSync(path.join(generations, g, "snapshots")).some((f) => !f.endsWith(".tmp")),
        )
      );
    };
    while (!snapshotted()) await sleep(100);
    firstSnapshotS = (Date.now() - started) / 1000;
    log(`${sizeMb} MB: first snapshot in the replica after ${firstSnapshotS.toFixed(1)} s`);
    const writer = await startRowWriter(dbFile, "r", 1);
    await sleep(4000);
    at = Date.now();
    await sleep(4000);
    await writer.stop();
    await sleep(3000); // the last commits reach the replica
  } finally {
    await server.stop();
  }
  const iso = new Date(at).toISOString();
  const restored = path.join(dataDir, "restored.db");
  const copy = path.join(dataDir, "copy.db");
  const backupDir = path.join(dataDir, "backups");
  const replicaFiles = filesUnder(replicaDir);
  const runs: LargeRestoreRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    log(
      `${sizeMb} MB: run ${i}/${RUNS}, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
    );
    // Each step starts with its input in the page cache and nothing left to write back.
    await ready(dbFile);
    const cpS = seconds(() => copyWithFsync(dbFile, copy));
    rmSync(copy, { force: true });
    await ready(...replicaFiles);
    const litestreamS = seconds(() =>
      execFileSync(litestreamBinary(), [
        "restore",
        "-config",
        path.join(dataDir, "litestream.yml"),
        "-o",
        restored,
        "-timestamp",
        iso,
        dbFile,
      ]),
    );
    rmSync(restored, { force: true });
    await ready(dbFile, ...replicaFiles);
    let cli: ReturnType<typeof runCli> | undefined;
    const cliS = seconds(() => {
      cli = runCli(dataDir, ["restore", "--at", iso, "--yes"], "", undefined, env);
    });
    if (cli?.code !== 0) throw new Error(`opstage restore --at ${iso} failed (exit ${cli?.code}): ${cli?.stderr}`);
    // Each run replaces the same way: the pre-restore backup (a hard link) is not kept.
    for (const file of readdirSync(backupDir)) {
      if (file.includes("pre-restore")) rmSync(path.join(backupDir, file), { force: true });
    }
    const run = {
      cpWithFsyncS: round2(cpS),
      litestreamRestoreS: round2(litestreamS),
      opstageRestoreAtS: round2(cliS),
      opstageRestoreAtVsCp: round2(cliS / cpS),
      phasesMs: cliPhases(cli.stdout),
      integrity: /^Integrity: (.*)\.$/m.exec(cli.stdout)?.[1] ?? null,
    };
    log(`${sizeMb} MB: run ${i}: ${JSON.stringify(run)}`);
    runs.push(run);
  }
  const cp = median(runs.map((run) => run.cpWithFsyncS));
  const litestream = median(runs.map((run) => run.litestreamRestoreS));
  const cli = median(runs.map((run) => run.opstageRestoreAtS));
  return {
    sizeMb,
    firstSnapshotS: round2(firstSnapshotS),
    medianOf: RUNS,
    cpWithFsyncS: cp,
    litestreamRestoreS: litestream,
    litestreamRestoreVsCp: round2(litestream / cp),
    opstageRestoreAtS: cli,
    opstageRestoreAtVsCp: round2(cli / cp),
    worstRunVsCp: Math.max(...runs.map((run) => run.opstageRestoreAtVsCp)),
    runs,
  };
}

type LargeRestoreRun = {
  cpWithFsyncS: number;
  litestreamRestoreS: number;
  opstageRestoreAtS: number;
  /** This run's restore against this run's cp. */
  opstageRestoreAtVsCp: number;
  /** The CLI's report: Litestream's restore ("replica"), then the restore's own phases. */
  phasesMs: Record<string, number>;
  integrity: string | null;
};

const round2 = (x: number) => Number(x.toFixed(2));

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

async function main() {
  log(`writer for ${SECONDS} s with replication off, then on (file replica, 1 s sync)`);
  const off = await writerRun({}, "off");
  const on = await writerRun(
    {
      OPSTAGE_REPLICATION: "file",
      OPSTAGE_REPLICATION_PATH: tempDir("opstage-bench-replica-"),
      OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
    },
    "on",
  );
  const large = SIZE_MB ? await largeRestoreRun(SIZE_MB) : null;
  const report = {
    date: new Date().toISOString(),
    seconds: SECONDS,
    off,
    on,
    writerP99Ratio: Number((on.writer.p99Ms / Math.max(off.writer.p99Ms, 1)).toFixed(2)),
    restoreToMoment: large,
  };
  const file = path.join("bench", "results", `${report.date.slice(0, 16).replace(/:/g, "")}-replication.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  log(`written to ${file}`);
}

void main();
