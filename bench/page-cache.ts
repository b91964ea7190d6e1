// Equal starting conditions for timed file work on this VM, shared by the benchmarks that time
// restores against `cp`. Its kernel evicts file pages idle for about a minute (DAMON, see
// lib/backup/worker-tasks.ts), and a step timed while another's dirty pages are written back
// pays for them: without this, whichever step ran first read from disk or waited on writeback
// and the others did not. Also the fsync every benchmark's `cp` floor ends with.
import { closeSync, fsyncSync, openSync, readFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";

// Dirty + Writeback below this counts as written back (other processes on the machine write too).
const WRITTEN_BACK_BYTES = 64 * 1048576;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `sync`, then until the kernel's dirty and writeback pages are (nearly) gone, at most 60 s. */
export async function writtenBack(): Promise<void> {
  execFileSync("sync");
  const pending = () => {
    const meminfo = readFileSync("/proc/meminfo", "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(meminfo)?.[1] ?? 0);
    return (kb("Dirty") + kb("Writeback")) * 1024;
  };
  const deadline = Date.now() + 60_000;
  while (pending() > WRITTEN_BACK_BYTES && Date.now() < deadline) await sleep(100);
}

/** How much of `file` is in the page cache (fincore, util-linux), in MB; null when fincore is missing. */
export function cachedMb(file: string): number | null {
  const result = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", file], { encoding: "utf8" });
  return result.status === 0 ? Math.round(Number(result.stdout.trim()) / 1048576) : null;
}

/**
 * Written back, then `files` read once, not timed: each measurement starts with its input wholly
 * in the page cache. Returns how much of the first file is cached (MB).
 */
export async function ready(...files: string[]): Promise<number | null> {
  await writtenBack();
  for (const file of files) execFileSync("cat", [file], { stdio: ["ignore", "ignore", "ignore"] });
  return files[0] ? cachedMb(files[0]) : null;
}

export function fsyncFile(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "Phases (ms; …): copy 4100, check 3000, …." from the CLI's restore report. */
export function cliPhases(stdout: string): Record<string, number> {
  const line = /^Phases \(ms[^)]*\): (.*)\.$/m.exec(stdout)?.[1];
  if (!line) return {};
  return Object.fromEntries(line.split(", ").map((part) => [part.split(" ")[0]!, Number(part.split(" ")[1])]));
}
