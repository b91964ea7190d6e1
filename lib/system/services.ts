// The one lifecycle of the server's long-lived services (service-list.ts): started in order at
// start-up, stopped in reverse at SIGTERM (shutdown.ts), and paused around a restore's swap
// (console-restore.ts), so that none of them uses the database file while it is replaced.
// Starts and stops run one at a time, whoever asks.
import type { Config } from "../config";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { SERVICES } from "./service-list";

export type { Service } from "../service";

type Registry = {
  /** The services running now, in the order they started. */
  running: Service[];
  /** The configuration of the last start, for a restart after a pause. */
  config: Config | null;
  /** Set by stopServices: a pause ending meanwhile starts nothing again. */
  stopped: boolean;
  /** The start or stop under way: the next one waits for it. */
  tail: Promise<void>;
};

function registry(): Registry {
  return processSingleton<Registry>("services", () => ({
    running: [],
    config: null,
    stopped: false,
    tail: Promise.resolve(),
  }));
}

function serially(r: Registry, step: () => Promise<void>): Promise<void> {
  const run = r.tail.then(step);
  r.tail = run.catch(() => {});
  return run;
}

async function startAll(r: Registry, config: Config): Promise<void> {
  r.config = config;
  let failure: unknown = null;
  for (const service of SERVICES) {
    if (r.running.includes(service)) continue;
    try {
      await service.start(config);
      r.running.push(service);
    } catch (error) {
      // The others start regardless: a schedule must not stay off because replication's
      // settings are wrong. The first failure is the caller's to report.
      logger().error({ err: error }, `${service.name} did not start: ${(error as Error).message}`);
      failure ??= error;
    }
  }
  if (failure) throw failure;
}

async function stopAll(r: Registry): Promise<void> {
  while (r.running.length > 0) {
    const service = r.running.pop()!;
    try {
      await service.stop();
    } catch (error) {
      logger().error({ err: error }, `${service.name} did not stop cleanly: ${(error as Error).message}`);
    }
  }
}

/** Starts every service not running yet, in the listed order. Rejects with the first failure, the rest started. */
export function startServices(config: Config): Promise<void> {
  const r = registry();
  return serially(r, () => {
    r.stopped = false;
    return startAll(r, config);
  });
}

/** Stops every running service, in reverse order, each waiting for (or cancelling) its work in progress. */
export function stopServices(): Promise<void> {
  const r = registry();
  r.stopped = true;
  return serially(r, () => stopAll(r));
}

/**
 * Runs fn with every service stopped, and starts them again afterwards — also when fn throws,
 * unless stopServices was called meanwhile (the server is stopping). A failed restart is logged,
 * not thrown: fn's outcome is the caller's answer.
 */
export async function withServicesPaused<T>(fn: () => Promise<T>): Promise<T> {
  const r = registry();
  const config = r.config;
  await serially(r, () => stopAll(r));
  try {
    return await fn();
  } finally {
    if (config && !r.stopped) {
      await serially(r, () => (r.stopped ? Promise.resolve() : startAll(r, config))).catch(() => {});
    }
  }
}
