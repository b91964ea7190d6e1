// In the background, every OPSTAGE_BACKUP_HEALTH_CHECK_SECONDS: tell the owners when the newest
// verified backup becomes overdue (once per overdue spell), and re-verify the newest backup when
// its last verification is older than OPSTAGE_BACKUP_REVERIFY_HOURS (lib/backup/proof.ts).
import { alertEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import type { Config } from "../config";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import { reverifyNewestIfDue } from "../backup/proof";
import { backupHealth, type HealthState } from "./backup-health";
import type { Service } from "../service";

type MonitorState = { timer: NodeJS.Timeout | null; running: boolean; lastState: HealthState | null };
const monitor = () =>
  processSingleton<MonitorState>("backup-health-monitor", () => ({ timer: null, running: false, lastState: null }));

/** One check: returns the state seen. Exported for tests; never throws. */
export async function checkBackupHealth(config: Config, now = new Date()): Promise<HealthState | null> {
  const m = monitor();
  try {
    reverifyNewestIfDue(config.backupDir, config.monitoring.reverifyIntervalMs, now);
    const health = await backupHealth(config, now);
    const row = health.rows.find((r) => r.source === "backups")!;
    if (row.state === "overdue" && m.lastState !== "overdue") {
      notify(
        alertEvent("backup.overdue", "The newest verified backup is overdue", row.detail, {
          lastGood: health.lastGood?.name ?? null,
          lastGoodAt: health.lastGood?.createdAt ?? null,
          cron: health.schedule.cron,
        }),
      );
    }
    m.lastState = row.state;
    return row.state;
  } catch (error) {
    // A restore under way (MaintenanceError) or a transient error: the next check tries again.
    logger().debug(`backup health check skipped: ${(error as Error).message}`);
    return null;
  }
}

export function startBackupHealthMonitor(config: Config): void {
  const m = monitor();
  if (m.timer) clearInterval(m.timer);
  // Armed at start-up, outside any request: the timer carries no request's context.
  m.timer = setInterval(() => {
    if (m.running) return;
    m.running = true;
    void checkBackupHealth(config).finally(() => (m.running = false));
  }, config.monitoring.healthCheckIntervalMs);
  m.timer.unref();
}

/** The periodic check, as a service: a stop clears its timer (a check under way ends by itself). */
export const backupHealthMonitorService: Service = {
  name: "backup health monitor",
  start: (config) => startBackupHealthMonitor(config),
  stop() {
    const m = monitor();
    if (m.timer) clearInterval(m.timer);
    m.timer = null;
  },
};
