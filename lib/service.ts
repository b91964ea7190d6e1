// What the server runs beside its requests for as long as it serves — the backup scheduler, the
// background queues, the health monitor, Litestream's supervisor — as one shape, so that one
// registry (lib/system/services.ts) starts them in order, stops them in reverse at SIGTERM, and
// pauses them around a restore's swap.
import type { Config } from "./config";

export type Service = {
  /** How the log names it. */
  name: string;
  /** Starts (again, after a stop). */
  start(config: Config): Promise<void> | void;
  /**
   * Stops: idempotent; returns once the work it had under way has finished or been cancelled
   * cleanly (nothing half-written under a final name), and starts nothing new until start().
   */
  stop(): Promise<void> | void;
};
