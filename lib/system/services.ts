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

export type ServiceRegistry = {
  /** Starts every service not running yet, in the listed order. Rejects with the first failure, the rest started. */
  startServices(config: Config): Promise<void>;
  /** Stops every running service, in reverse order, each waiting for (or cancelling) its work in progress. */
  stopServices(): Promise<void>;
  /**
   * Runs fn with every service stopped, and starts them again afterwards — also when fn throws,
   * unless stopServices was called meanwhile (the server is stopping). A failed restart is
   * logged, not thrown: fn's outcome is the caller's answer.
   */
  withServicesPaused<T>(fn: () => Promise<T>): Promise<T>;
};

/** A registry over `services` (the server's: SERVICES, through the functions below). */
export function createServiceRegistry(services: readonly Service[]): ServiceRegistry {
  /** The services running now, in the order they started. */
  const running: Service[] = [];
  /** The configuration of the last start, for a restart after a pause. */
  let lastConfig: Config | null = null;
  /** Set by stopServices: a pause ending meanwhile starts nothing again. */
  let stopped = false;
  /** The start or stop under way: the next one waits for it. */
  let tail: Promise<void> = Promise.resolve();

  const serially = (step: () => Promise<void>): Promise<void> => {
    const run = tail.then(step);
    tail = run.catch(() => {});
    return run;
  };

  const startAll = async (config: Config): Promise<void> => {
    lastConfig = config;
    let failure: unknown = null;
    for (const service of services) {
      if (running.includes(service)) continue;
      try {
        await service.start(config);
        running.push(service);
      } catch (error) {
        // The others start regardless: the schedule must not stay off because replication's
        // settings are wrong. The first failure is the caller's to report.
        logger().error({ err: error }, `${service.name} did not start: ${(error as Error).message}`);
        failure ??= error;
      }
    }
    if (failure) throw failure;
  };

  const stopAll = async (): Promise<void> => {
    while (running.length > 0) {
      const service = running.pop()!;
      try {
        await service.stop();
      } catch (error) {
        logger().error({ err: error }, `${service.name} did not stop cleanly: ${(error as Error).message}`);
      }
    }
  };

  return {
    startServices: (config) =>
      serially(() => {
        stopped = false;
        return startAll(config);
      }),
    stopServices: () => {
      stopped = true;
      return serially(stopAll);
    },
    async withServicesPaused(fn) {
      const config = lastConfig;
      await serially(stopAll);
      try {
        return await fn();
      } finally {
        if (config && !stopped) await serially(() => (stopped ? Promise.resolve() : startAll(config))).catch(() => {});
      }
    },
  };
}

const registry = () => processSingleton("services", () => createServiceRegistry(SERVICES));

export const startServices = (config: Config): Promise<void> => registry().startServices(config);
export const stopServices = (): Promise<void> => registry().stopServices();
export const withServicesPaused = <T>(fn: () => Promise<T>): Promise<T> => registry().withServicesPaused(fn);
