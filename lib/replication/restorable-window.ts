// The replica's restorable window and lag in words, for Settings → Replication (pure: the page
// and the server use it alike). Litestream v0.3 keeps every generation until its retention
// removes it, and `litestream restore -timestamp` reaches a moment in any of them (it picks the
// generation whose span holds the moment), so the window is every generation's span, not only
// the newest's; between two generations (the database was replaced: a restore) there may be a
// gap no restore can reach.
import type { ReplicaGeneration } from "./status";

export type RestorableSpan = { generation: string; from: string; to: string };

/** Every generation's span, oldest first, and the whole window from the oldest to the newest. */
export function restorableWindow(
  generations: ReplicaGeneration[] | null,
): { from: string; to: string; spans: RestorableSpan[] } | null {
  if (!generations?.length) return null;
  const spans = generations
    .map((g) => ({ generation: g.generation, from: g.start, to: g.end }))
    .sort((a, b) => Date.parse(a.from) - Date.parse(b.from));
  const to = spans.reduce(
    (newest, span) => (Date.parse(span.to) > Date.parse(newest) ? span.to : newest),
    spans[0]!.to,
  );
  return { from: spans[0]!.from, to, spans };
}

/** The span holding `at` (its end is inclusive to the whole second: file times on SFTP and S3), or null. */
export function spanHolding(spans: RestorableSpan[], at: number): RestorableSpan | null {
  return spans.find((span) => Date.parse(span.from) <= at && at < Date.parse(span.to) + 1000) ?? null;
}

const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };

/** A Go duration as Litestream prints it ("1m2.5s", "-203ms") in milliseconds; null when unreadable. */
export function goDurationMs(text: string): number | null {
  const match = /^(-)?((?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+)$/.exec(text.trim());
  if (!match) return text.trim() === "0s" || text.trim() === "0" ? 0 : null;
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    total += Number(part[1]) * GO_UNIT_MS[part[2]!]!;
  }
  return match[1] ? -total : total;
}

/**
 * The replica's lag in words. Litestream computes it as the database file's change time minus
 * the replica's newest data; the two clocks can differ by a little (and a file replica's time is
 * the upload's), so a lag below zero means the replica is up to date, not ahead.
 */
export function lagWords(lag: string | null): string {
  if (lag === null) return "unknown";
  const ms = goDurationMs(lag);
  if (ms === null) return lag;
  if (ms < 1000) return "up to date (less than a second)";
  if (ms < 60_000) return `${Math.round(ms / 1000)} s behind`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min behind`;
  return `${(ms / 3_600_000).toFixed(1)} h behind`;
}
