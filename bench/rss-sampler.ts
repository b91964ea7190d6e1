// A process's resident memory (VmRSS from /proc) sampled every 20 ms (50 Hz), for the benchmarks
// that report how much a server grows while it works.
import { readFileSync } from "node:fs";

export function rssSampler(pid: number) {
  const read = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  const baseline = read();
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, read())), 20);
  return { stop: () => (clearInterval(timer), { baseline, peak, growth: Math.max(0, peak - baseline) }) };
}
