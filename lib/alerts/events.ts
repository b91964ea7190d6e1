// What Opstage tells an owner about, outside the console. One shape for every event: the channel
// formats (webhook.ts, email.ts) turn it into a payload. Events are raised with notify()
// (notify.ts); whoever raises one does not wait for its delivery.

/** Every event type a channel can subscribe to, in the order the console lists them. */
export const ALERT_EVENT_TYPES = [
  "backup.scheduled.failed",
  "backup.scheduled.recovered",
  "backup.overdue",
  "backup.verify.failed",
  "backup.verify.error",
  "backup.offsite.failed",
  "replication.error",
  "upgrade.applied",
  "restore.done",
] as const;

export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

/** "alert.test" is sent by "Send test" only; channels cannot subscribe to it. */
export type AlertEventTypeOrTest = AlertEventType | "alert.test";

export type AlertSeverity = "info" | "warning" | "error";

export type AlertEvent = {
  type: AlertEventTypeOrTest;
  severity: AlertSeverity;
  /** One line: what happened. */
  title: string;
  /** What is wrong and what to do. */
  message: string;
  /** ISO time of the event. */
  at: string;
  /** Facts for machines (backup name, error, attempts…). */
  details?: Record<string, unknown>;
};

export const EVENT_LABELS: Record<AlertEventType, string> = {
  "backup.scheduled.failed": "A scheduled backup failed",
  "backup.scheduled.recovered": "Scheduled backups work again",
  "backup.overdue": "The newest good backup is overdue",
  "backup.verify.failed": "Verification found a bad backup",
  "backup.verify.error": "A verification could not run (disk full, I/O error)",
  "backup.offsite.failed": "An offsite copy failed",
  "replication.error": "Replication failed",
  "upgrade.applied": "An upgrade was applied",
  "restore.done": "A backup was restored",
};

const SEVERITY: Record<AlertEventTypeOrTest, AlertSeverity> = {
  "backup.scheduled.failed": "error",
  "backup.scheduled.recovered": "info",
  "backup.overdue": "warning",
  "backup.verify.failed": "error",
  "backup.verify.error": "error",
  "backup.offsite.failed": "error",
  "replication.error": "error",
  "upgrade.applied": "info",
  "restore.done": "info",
  "alert.test": "info",
};

/** Builds an event with its type's severity and the current time. */
export function alertEvent(
  type: AlertEventTypeOrTest,
  title: string,
  message: string,
  details?: Record<string, unknown>,
): AlertEvent {
  return { type, severity: SEVERITY[type], title, message, at: new Date().toISOString(), details };
}

/** Raised by the Litestream supervisor when Litestream has kept failing without one upload. */
export function replicationErrorEvent(input: { target: string; error: string; lagSeconds?: number }): AlertEvent {
  return alertEvent(
    "replication.error",
    `Replication to ${input.target} failed`,
    `${input.error} The replica falls behind until this is fixed; check the target and its credentials.`,
    { target: input.target, error: input.error, lagSeconds: input.lagSeconds ?? null },
  );
}
