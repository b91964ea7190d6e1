// One comparison at a time per process, like a backup: it reads two whole files, and two at once
// would halve each one's speed for nobody's gain. A request for the very comparison that is
// running joins it; another one is refused (409) until it ends or is cancelled. The job's state
// is a cache of something that can be computed again, so it lives in memory (the last few,
// for the page that polls it).
import { randomUUID } from "node:crypto";
import { KnownError } from "../errors";
import { logger } from "../log";
import type { MigrationFile } from "../migrate/files";
import { processSingleton } from "../process-singleton";
import { compareFiles } from "./inspect";
import type { ComparisonJob } from "./types";

export class ComparisonBusyError extends KnownError {
  override name = "ComparisonBusyError";
  constructor(running: ComparisonJob) {
    super(
      "busy",
      "comparison_in_progress",
      `Another comparison is running (${running.from} with ${running.to}); wait for it to finish or cancel it, then try again.`,
      5,
    );
  }
}

export class ComparisonNotFoundError extends KnownError {
  override name = "ComparisonNotFoundError";
  constructor(id: string) {
    super("not_found", "not_found", `No comparison ${id} (the server keeps the last few, until it restarts).`);
  }
}

const KEPT_JOBS = 5;

type Entry = { job: ComparisonJob; abort: AbortController; ended: Promise<void> };
const jobs = () => processSingleton<Entry[]>("comparison-jobs", () => []);

export type CompareSide = { path: string; label: string };

/**
 * Starts comparing `from` with `to` (or joins the same comparison when it is running). `onEnd`
 * is called once the comparison ends, whatever the outcome (a database lease to release).
 */
export function startComparison(
  from: CompareSide,
  to: CompareSide,
  shipped: MigrationFile[],
  onEnd: () => void = () => {},
): ComparisonJob {
  const all = jobs();
  const running = all.find((entry) => entry.job.state === "running");
  if (running) {
    onEnd();
    if (running.job.from === from.label && running.job.to === to.label) return running.job;
    throw new ComparisonBusyError(running.job);
  }
  const job: ComparisonJob = {
    id: randomUUID(),
    from: from.label,
    to: to.label,
    state: "running",
    startedAt: new Date().toISOString(),
    progress: null,
    result: null,
    error: null,
  };
  const abort = new AbortController();
  const ended = compareFiles(from, to, shipped, {
    signal: abort.signal,
    onProgress: (progress) => (job.progress = progress),
  }).then(
    (result) => {
      job.result = result;
      job.state = "done";
    },
    (error: unknown) => {
      const known = error instanceof KnownError ? error : null;
      job.state = abort.signal.aborted ? "cancelled" : "failed";
      job.error = known
        ? { code: known.code, message: known.message }
        : { code: "internal", message: "The comparison failed; the server's log has the details." };
      if (!known) logger().error({ err: error }, `comparing ${from.label} with ${to.label} failed`);
    },
  );
  const entry: Entry = { job, abort, ended: ended.finally(onEnd) };
  all.push(entry);
  while (all.length > KEPT_JOBS) all.shift();
  return job;
}

export function comparisonJob(id: string): ComparisonJob {
  const entry = jobs().find((candidate) => candidate.job.id === id);
  if (!entry) throw new ComparisonNotFoundError(id);
  return entry.job;
}

/** Cancels a running comparison (its worker ends at once); an ended one is left as it is. */
export async function cancelComparison(id: string): Promise<ComparisonJob> {
  const entry = jobs().find((candidate) => candidate.job.id === id);
  if (!entry) throw new ComparisonNotFoundError(id);
  if (entry.job.state === "running") entry.abort.abort();
  await entry.ended;
  return entry.job;
}

/** Waits for a comparison to end (tests, the CLI). */
export async function comparisonEnded(id: string): Promise<ComparisonJob> {
  const entry = jobs().find((candidate) => candidate.job.id === id);
  if (!entry) throw new ComparisonNotFoundError(id);
  await entry.ended;
  return entry.job;
}
