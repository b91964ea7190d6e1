// The one way to raise an alert: notify(event) returns at once; the event is written to the
// outbox (outbox.ts), one row per enabled channel that subscribes to it, and delivered from
// there in the background, retried with backoff, each delivery's outcome audited (alert.delivered
// / alert.failed). What a restart or a restore interrupts is delivered afterwards.
import { runOutsideLease } from "../db/lease";
import { logger } from "../log";
import { channelsFor } from "./channels";
import type { AlertEvent } from "./events";
import { enqueueDeliveries, outboxSettled } from "./outbox";

export { deliverOnce, DELIVERY_ATTEMPTS } from "./outbox";

type Pending = { writes: Set<Promise<void>> };
// Per process (Next bundles each route with its own copy of this module).
const globalPending = globalThis as unknown as { opstageAlertWrites?: Pending };
function pending(): Pending {
  globalPending.opstageAlertWrites ??= { writes: new Set() };
  return globalPending.opstageAlertWrites;
}

/**
 * Writes the event's deliveries to the outbox and returns at once. Never throws: a failure to
 * record it is logged, nothing more.
 */
export function notify(event: AlertEvent): void {
  // Outside the caller's lease flow: this outlives the request or run that raised it, and its
  // queries must take leases of their own (lib/db/lease.ts).
  runOutsideLease(() => {
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
  });
}

/** Resolves when every alert this process raised is delivered or given up on (the CLI waits). */
export async function alertsSettled(): Promise<void> {
  const p = pending();
  while (p.writes.size > 0) await Promise.all([...p.writes]);
  await outboxSettled();
}
