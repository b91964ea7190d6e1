// The heartbeat: a GET to OPSTAGE_HEARTBEAT_URL after each successful scheduled backup, and to
// <url>/fail after a failed one — the push convention of healthchecks.io and Uptime Kuma. The
// monitor alerts when the pings stop, which is what notices a server that is gone: nothing runs
// on it to send an alert. The address rule of every alert target applies (target-address.ts).
// A ping that fails is logged and never fails the backup.
import type { Config } from "../config";
import { logger } from "../log";
import { assertTargetHostAllowed } from "./target-address";
import { requestCheckedTarget, WEBHOOK_TIMEOUT_MS } from "./webhook";

/** The URL pinged for a run's outcome: the URL itself, or its path with /fail appended. */
export function heartbeatTarget(url: string, ok: boolean): URL {
  const target = new URL(url);
  if (!ok) target.pathname = `${target.pathname.replace(/\/+$/, "")}/fail`;
  return target;
}

/** Pings the heartbeat URL, when one is configured, with a run's outcome. Never throws. */
export async function sendHeartbeat(config: Pick<Config, "monitoring">, ok: boolean): Promise<void> {
  const url = config.monitoring.heartbeatUrl;
  if (!url) return;
  const target = heartbeatTarget(url, ok);
  // The path may hold the monitor's secret (a healthchecks.io UUID, an Uptime Kuma token): the
  // log names the host only.
  const where = `the heartbeat URL at ${target.host}`;
  try {
    assertTargetHostAllowed(target.hostname);
    const answer = await requestCheckedTarget(target, { "User-Agent": "Opstage-CE-heartbeat" }, null);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(`HTTP ${answer.status}${answer.excerpt ? `: ${answer.excerpt}` : ""}`);
    }
    logger().info(`heartbeat sent to ${where} (${ok ? "success" : "fail"})`);
  } catch (error) {
    const { name, message } = error as Error;
    const reason =
      name === "AbortError" || name === "TimeoutError" ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : message;
    logger().warn(`heartbeat (${ok ? "success" : "fail"}) to ${where} failed: ${reason}`);
  }
}
