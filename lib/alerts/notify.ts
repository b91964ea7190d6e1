// The one way to raise an alert: notify(event) returns at once; delivery to each channel that
// subscribes to the event runs in the background, retried with backoff, and each delivery's
// outcome is audited (alert.delivered / alert.failed). A slow or unreachable receiver delays
// nobody but its own later attempts.
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { getConfig } from "../config";
import { logger } from "../log";
import type { Service } from "../service";
import { channelsFor, type Channel } from "./channels";
import { sendEmail } from "./email";
import type { AlertEvent } from "./events";
import { sendWebhook } from "./webhook";

/** Attempts per delivery; waits double from OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS, capped below. */
export const DELIVERY_ATTEMPTS = 6;
const MAX_RETRY_DELAY_MS = 10 * 60 * 1000;

type QueueState = { pending: Set<Promise<void>> };
// One queue per process (Next bundles each route with its own copy of this module).
const globalQueue = globalThis as unknown as { opstageAlertQueue?: QueueState };
function queue(): QueueState {
  globalQueue.opstageAlertQueue ??= { pending: new Set() };
  return globalQueue.opstageAlertQueue;
}

function settings(): { retryFirstDelayMs: number; instance: string | null } {
  try {
    const config = getConfig();
    return { retryFirstDelayMs: config.monitoring.alertRetryFirstDelayMs, instance: config.publicBaseUrl ?? null };
  } catch {
    return { retryFirstDelayMs: 5000, instance: null };
  }
}

/** One attempt at one channel; throws a one-line reason. */
export async function deliverOnce(channel: Channel, event: AlertEvent): Promise<void> {
  const { instance } = settings();
  if (channel.type === "webhook") await sendWebhook(channel.config, channel.secret, event, instance);
  else await sendEmail(channel.config, channel.secret, event, instance);
}

/**
 * Queues the event for every enabled channel that subscribes to it and returns at once. Never
 * throws: a failure to deliver is logged and audited, nothing more.
 */
export function notify(event: AlertEvent): void {
  const q = queue();
  const delivery = deliverToAll(event)
    .catch((error: unknown) => logger().error({ err: error }, `alert ${event.type}: ${(error as Error).message}`))
    .finally(() => q.pending.delete(delivery));
  q.pending.add(delivery);
}

/** Resolves when every queued delivery has finished (the CLI waits before it exits). */
export async function alertsSettled(): Promise<void> {
  while (queue().pending.size > 0) await Promise.all([...queue().pending]);
}

async function deliverToAll(event: AlertEvent): Promise<void> {
  let channels: Channel[];
  try {
    channels = await channelsFor(event.type);
  } catch (error) {
    logger().error(`alert ${event.type} not sent: the alert channels could not be read: ${(error as Error).message}`);
    return;
  }
  await Promise.all(channels.map((channel) => deliverWithRetries(channel, event)));
}

// A referenced timer: the CLI waits for the retries, and an unreferenced one would let its
// process exit in the middle of them. The server exits through process.exit anyway.
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function deliverWithRetries(channel: Channel, event: AlertEvent): Promise<void> {
  const { retryFirstDelayMs } = settings();
  for (let attempt = 1; ; attempt++) {
    try {
      await deliverOnce(channel, event);
      await recordAuditSafely({
        actor: SYSTEM_ACTOR,
        action: "alert.delivered",
        result: "SUCCESS",
        targetType: "alert-channel",
        targetId: channel.id,
        message: event.title,
        metadata: { channel: channel.name, type: channel.type, event: event.type, attempts: attempt },
      });
      return;
    } catch (error) {
      const reason = (error as Error).message;
      if (attempt >= DELIVERY_ATTEMPTS) {
        logger().error(`alert ${event.type} to ${channel.name} failed after ${attempt} attempts: ${reason}`);
        await recordAuditSafely({
          actor: SYSTEM_ACTOR,
          action: "alert.failed",
          result: "FAILURE",
          targetType: "alert-channel",
          targetId: channel.id,
          message: reason,
          metadata: { channel: channel.name, type: channel.type, event: event.type, attempts: attempt },
        });
        return;
      }
      const delay = Math.min(retryFirstDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
      logger().warn(
        `alert ${event.type} to ${channel.name}, attempt ${attempt} failed: ${reason}; retrying in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
}

/**
 * Alert delivery, as a service: nothing to start (notify() queues), and a stop waits for nothing:
 * a delivery under way touches the live database only through Prisma, a lease per query, so a
 * restore need not wait for it; at exit, deliveries not yet made are lost with the process.
 */
export const alertDeliveryService: Service = { name: "alert delivery", start: () => {}, stop: () => {} };
