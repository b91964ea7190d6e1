// The alert outbox: every delivery of an event to a channel is a row (AlertDelivery) before any
// attempt is made, and stays one until it is delivered (alert.delivered) or given up on after
// DELIVERY_ATTEMPTS (alert.failed). A restart resumes the rows left; a console restore keeps
// them (lib/backup/restore-changes.ts). At least once: a process killed between a receiver's
// answer and the row's removal sends that one again.
//
// Each channel has its own lane (p-queue, one attempt at a time): a slow or unreachable
// receiver delays nobody but its own later attempts. The waits between attempts are not held
// in memory (p-retry keeps its schedule in a promise, which a restart loses): each row carries
// its next attempt's time, and the sender wakes for the soonest.
import PQueue from "p-queue";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { getConfig } from "../config";
import { getPrisma } from "../db/prisma";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { getChannel, type Channel } from "./channels";
import { sendEmail } from "./email";
import type { AlertEvent } from "./events";
import { sendWebhook } from "./webhook";

/** Attempts per delivery; waits double from OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS, capped below. */
export const DELIVERY_ATTEMPTS = 6;
const MAX_RETRY_DELAY_MS = 10 * 60 * 1000;
/** How long one attempt may hold its row before another process may take it over: longer than
 * a webhook's or an SMTP exchange's timeout, short enough that a row an exit cut is soon sent. */
const CLAIM_MS = 60 * 1000;
/** How often the sender looks for rows another process (the CLI) wrote. */
const POLL_MS = 30_000;

type Sender = {
  lanes: Map<string, PQueue>;
  /** Rows this process is attempting (or has queued) right now. */
  inFlight: Set<string>;
  /** Rows this process wrote and has not finished with (the CLI waits for them). */
  mine: Set<string>;
  wake: NodeJS.Timeout | null;
  poll: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
  stopped: boolean;
};
const sender = () =>
  processSingleton<Sender>("alert-outbox-sender", () => ({
    lanes: new Map(),
    inFlight: new Set(),
    mine: new Set(),
    wake: null,
    poll: null,
    running: null,
    again: false,
    stopped: false,
  }));

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

/** Writes one row per channel, then has the sender look at once. */
export async function enqueueDeliveries(event: AlertEvent, channels: Channel[]): Promise<void> {
  if (channels.length === 0) return;
  const now = new Date();
  const rows = await getPrisma().$transaction(
    channels.map((channel) =>
      getPrisma().alertDelivery.create({
        data: { channelId: channel.id, eventType: event.type, eventJson: JSON.stringify(event), nextAttemptAt: now },
        select: { id: true },
      }),
    ),
  );
  for (const row of rows) sender().mine.add(row.id);
  kick();
}

/** Has the sender look for due rows now (coalesced with a pass under way). */
export function kick(): void {
  const s = sender();
  if (s.stopped) return;
  if (s.running) {
    s.again = true;
    return;
  }
  s.running = sendDue()
    .catch((error: unknown) => logger().debug(`alert outbox: ${(error as Error).message}`))
    .finally(() => {
      s.running = null;
      if (s.again) {
        s.again = false;
        kick();
      }
    });
}

function laneFor(channelId: string): PQueue {
  const s = sender();
  let lane = s.lanes.get(channelId);
  if (!lane) {
    lane = new PQueue({ concurrency: 1 });
    s.lanes.set(channelId, lane);
  }
  return lane;
}

async function sendDue(): Promise<void> {
  const s = sender();
  const prisma = getPrisma();
  const now = new Date();
  const due = await prisma.alertDelivery.findMany({
    where: { nextAttemptAt: { lte: now } },
    orderBy: { createdAt: "asc" },
  });
  for (const row of due) {
    if (s.inFlight.has(row.id)) continue;
    s.inFlight.add(row.id);
    void laneFor(row.channelId)
      .add(() => attempt(row.id))
      .catch((error: unknown) => logger().error(`alert delivery ${row.id}: ${(error as Error).message}`))
      .finally(() => {
        s.inFlight.delete(row.id);
        armWake();
      });
  }
  await armWake();
}

/** Sleeps until the soonest row not under way is due. */
async function armWake(): Promise<void> {
  const s = sender();
  if (s.stopped) return;
  const next = await getPrisma()
    .alertDelivery.findFirst({
      where: { id: { notIn: [...s.inFlight] } },
      orderBy: { nextAttemptAt: "asc" },
      select: { nextAttemptAt: true },
    })
    .catch(() => null);
  if (s.wake) clearTimeout(s.wake);
  s.wake = null;
  if (!next) return;
  // A referenced timer while this process has rows of its own to deliver (the CLI waits for its
  // retries); otherwise unreferenced, so that it never holds a process open.
  s.wake = setTimeout(kick, Math.max(0, next.nextAttemptAt.getTime() - Date.now()));
  if (s.mine.size === 0) s.wake.unref();
}

async function attempt(id: string): Promise<void> {
  const s = sender();
  const prisma = getPrisma();
  const now = new Date();
  // Claimed for this attempt: another process sees the row taken until the claim runs out.
  const claimed = await prisma.alertDelivery.updateMany({
    where: { id, nextAttemptAt: { lte: now }, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] },
    data: { claimedUntil: new Date(now.getTime() + CLAIM_MS) },
  });
  if (claimed.count === 0 || s.stopped) return;
  const row = await prisma.alertDelivery.findUnique({ where: { id } });
  if (!row) return;
  const event = JSON.parse(row.eventJson) as AlertEvent;
  const attempts = row.attempts + 1;
  let channel: Channel;
  try {
    channel = await getChannel(row.channelId);
  } catch {
    // Deleted (or replaced by a restore) since the event was raised: nobody to deliver to.
    await prisma.alertDelivery.deleteMany({ where: { id } });
    s.mine.delete(id);
    logger().warn(`alert ${event.type} dropped: its channel no longer exists`);
    return;
  }
  const audit = { channel: channel.name, type: channel.type, event: event.type, attempts };
  try {
    await deliverOnce(channel, event);
  } catch (error) {
    const reason = (error as Error).message;
    if (attempts >= DELIVERY_ATTEMPTS) {
      await prisma.alertDelivery.deleteMany({ where: { id } });
      s.mine.delete(id);
      logger().error(`alert ${event.type} to ${channel.name} failed after ${attempts} attempts: ${reason}`);
      await recordAuditSafely({
        actor: SYSTEM_ACTOR,
        action: "alert.failed",
        result: "FAILURE",
        targetType: "alert-channel",
        targetId: channel.id,
        message: reason,
        metadata: audit,
      });
      return;
    }
    const delay = Math.min(settings().retryFirstDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
    await prisma.alertDelivery.update({
      where: { id },
      data: { attempts, lastError: reason, nextAttemptAt: new Date(Date.now() + delay), claimedUntil: null },
    });
    logger().warn(
      `alert ${event.type} to ${channel.name}, attempt ${attempts} failed: ${reason}; retrying in ${delay} ms`,
    );
    return;
  }
  await prisma.alertDelivery.deleteMany({ where: { id } });
  s.mine.delete(id);
  await recordAuditSafely({
    actor: SYSTEM_ACTOR,
    action: "alert.delivered",
    result: "SUCCESS",
    targetType: "alert-channel",
    targetId: channel.id,
    message: event.title,
    metadata: audit,
  });
}

/** Resolves when every delivery this process wrote is delivered or given up on (the CLI). */
export async function outboxSettled(): Promise<void> {
  const s = sender();
  while (s.mine.size > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!s.running && !s.wake && s.inFlight.size === 0) kick();
  }
}

/** A service (lib/system/services.ts): sends what the outbox holds, now and whenever it is due. */
export const alertOutboxService: Service = {
  name: "alert outbox",
  start(): void {
    const s = sender();
    s.stopped = false;
    kick();
    // Armed from start-up code, outside any request: the timer carries no request's context.
    if (s.poll) clearInterval(s.poll);
    s.poll = setInterval(kick, POLL_MS);
    s.poll.unref();
  },
  stop(): void {
    const s = sender();
    s.stopped = true;
    if (s.poll) clearInterval(s.poll);
    if (s.wake) clearTimeout(s.wake);
    s.poll = null;
    s.wake = null;
    // Queued attempts see `stopped` and leave their rows for the next start. The attempt under
    // way (a webhook or SMTP exchange, bounded by its timeout) is not waited for: it touches the
    // database only through Prisma, a lease per query; cut by an exit, its row is sent again.
  },
};
