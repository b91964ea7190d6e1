import type { BackupEntry } from "@/lib/backup/catalog";
import { formatBytes } from "@/lib/format";

const WIDTH = 640;
const HEIGHT = 160;
const PAD = 8;

/** Backup size and database size over time, from the manifests. */
export function SizeChart({ backups }: { backups: BackupEntry[] }) {
  const points = [...backups].filter((b) => b.kind !== "external").reverse();
  if (points.length < 2) {
    return <p className="text-sm text-slate-500">The chart appears once there are two backups.</p>;
  }
  const times = points.map((p) => Date.parse(p.createdAt));
  const values = points.flatMap((p) => [p.bytes, p.databaseBytes ?? p.bytes]);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const vMax = Math.max(...values) * 1.1;
  const x = (t: number) => PAD + ((t - t0) / Math.max(1, t1 - t0)) * (WIDTH - 2 * PAD);
  const y = (v: number) => HEIGHT - PAD - (v / vMax) * (HEIGHT - 2 * PAD);
  const line = (pick: (p: BackupEntry) => number) =>
    points.map((p, i) => `${x(times[i]!).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(" ");
  return (
    <figure>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-40 w-full"
        role="img"
        aria-label="Backup and database size over time"
      >
        <line x1={PAD} x2={WIDTH - PAD} y1={HEIGHT - PAD} y2={HEIGHT - PAD} className="stroke-slate-200" />
        <polyline
          points={line((p) => p.databaseBytes ?? p.bytes)}
          fill="none"
          className="stroke-slate-400"
          strokeWidth={2}
          strokeDasharray="4 3"
        />
        <polyline points={line((p) => p.bytes)} fill="none" className="stroke-indigo-500" strokeWidth={2} />
      </svg>
      <figcaption className="mt-1 flex gap-4 text-xs text-slate-500">
        <span>
          <span className="text-indigo-500">━</span> backup size
        </span>
        <span>
          <span className="text-slate-500">┅</span> database size (with WAL)
        </span>
        <span className="ml-auto">max {formatBytes(vMax / 1.1)}</span>
      </figcaption>
    </figure>
  );
}
