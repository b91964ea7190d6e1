// The one way to raise an alert: notify(event) returns at once; the event is written to the
// outbox (outbox.ts), one row per enabled channel that subscribes to it, and delivered from
// there in the background, retried with backoff, each delivery's outcome audited (alert.delivered
// / alert.failed). What a restart or a restore interrupts is delivered afterwards.
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import { channelsFor } from "./channels";
import type { AlertEvent } from "./events";
import { enqueueDeliveries, outboxSettled } from "./outbox";

export { deliverOnce, DELIVERY_ATTEMPTS } from "./outbox";

type Pending = { writes: Set<Promise<void>> };
const pending = () => processSingleton<Pending>("alert-outbox-writes", () => ({ writes: new Set() }));

/**
 * Writes the event's deliveries to the outbox and returns at once. Never throws: a failure to
 * record it is logged, nothing more.
 */
export function notify(event: AlertEvent): void {
  const p = pending();
  const write = channelsFor(event.type)
    .then((channels) => enqueueDeliveries(event, channels))
    .catch((error: unknown) =>
      logger().error(
        `alert ${event.type} not recorded: the alert outbox could not be written: ${(error as Error).message}`,
      ),
    )
    .finally(() => p.writes.delete(write));
  p.writes.add(write);
}

/** Resolves when every alert this process raised is delivered or given up on (the CLI waits). */
export async function alertsSettled(): Promise<void> {
  const p = pending();
  while (p.writes.size > 0) await Promise.all([...p.writes]);
  await outboxSettled();
}
