// The built-in backup schedule: a cron expression and a retention count, persisted in
// SystemSetting (first values from OPSTAGE_BACKUP_SCHEDULE / OPSTAGE_BACKUP_KEEP), run in-process
// with croner. Each run makes a `scheduled` backup, applies retention and is audited as SYSTEM.
import { Cron } from "croner";
import { recordAuditSafely, SYSTEM_ACTOR, type AuditActor } from "../audit/record";
import { KnownError } from "../errors";
import { logger } from "../log";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import { readSystemSetting } from "../db/raw-reads";
import { SCHEDULE_SETTINGS_RULE, scheduleProblem } from "../schedule-rules";
import { applyRetention } from "./retention";
import { alertEvent } from "../alerts/events";
import { sendHeartbeat } from "../alerts/heartbeat";
import { notify } from "../alerts/notify";
import { existingProcessSingleton, processSingleton } from "../process-singleton";
import type { Service } from "../service";

export type ScheduleSettings = { cron: string | null; keep: number };
export type LastRun = { at: string; ok: boolean; name?: string; error?: string; deleted?: string[] };
export type ScheduleStatus = ScheduleSettings & { nextRun: string | null; lastRun: LastRun | null; running: boolean };

const SETTINGS_KEY = "backup.schedule";
const LAST_RUN_KEY = "backup.schedule.lastRun";
/** Where the schedule lives in SystemSetting (a restore keeps these; restore-changes.ts). */
export const SCHEDULE_SETTING_KEYS = [SETTINGS_KEY, LAST_RUN_KEY] as const;

export class ScheduleError extends KnownError {
  override name = "ScheduleError";
  constructor(message: string) {
    super("invalid", "invalid_input", message);
  }
}

async function writeSetting(key: string, value: unknown): Promise<void> {
  const valueJson = JSON.stringify(value);
  await getPrisma().systemSetting.upsert({ where: { key }, create: { key, valueJson }, update: { valueJson } });
}

export function validateSchedule(input: ScheduleSettings): ScheduleSettings {
  const parsed = SCHEDULE_SETTINGS_RULE.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ScheduleError(scheduleProblem(input)!);
}

/**
 * Makes one backup, audits it and queues its proof and offsite copy: createAuditedBackup
 * (lib/system/audited-backup.ts). Handed in at start, because the offsite copy sits above this
 * folder.
 */
export type AuditedBackupMaker = (input: {
  config: Config;
  kind: "scheduled";
  actor: AuditActor;
  actorLabel: string;
}) => Promise<{ name: string }>;

export class BackupScheduler {
  private job: Cron | null = null;
  /** Set by start(), before the timer is armed. */
  private makeBackup: AuditedBackupMaker | null = null;
  private offsiteOutcome: OffsiteOutcomeReader | null = null;
  private settings: ScheduleSettings;
  private running = false;
  /** Between start() and stop(): only then is the timer armed (a restore pauses the scheduler). */
  private started = false;
  /** The run in progress, which stop() waits for. */
  private current: Promise<LastRun> | null = null;

  constructor(private readonly config: Config) {
    this.settings = config.backupSchedule;
  }

  /** Loads the saved settings (or the configured first values) and starts the timer. */
  async start(makeBackup: AuditedBackupMaker, offsiteOutcome: OffsiteOutcomeReader | null = null): Promise<void> {
    this.makeBackup = makeBackup;
    this.offsiteOutcome = offsiteOutcome;
    this.started = true;
    this.settings = (await readSystemSetting<ScheduleSettings>(SETTINGS_KEY)) ?? this.config.backupSchedule;
    this.arm();
  }

  /** Disarms the timer and waits for the run in progress, if any, to end (its writes included). */
  async stop(): Promise<void> {
    this.started = false;
    this.disarm();
    await this.current;
  }

  /** Saves the settings; the timer follows them at once, or at the next start while stopped. */
  async update(input: ScheduleSettings): Promise<ScheduleStatus> {
    const settings = validateSchedule(input);
    await writeSetting(SETTINGS_KEY, settings);
    this.settings = settings;
    if (this.started) this.arm();
    return this.status();
  }

  async status(): Promise<ScheduleStatus> {
    return {
      ...this.settings,
      nextRun: this.job?.nextRun()?.toISOString() ?? null,
      lastRun: await readSystemSetting<LastRun>(LAST_RUN_KEY),
      running: this.running,
    };
  }

  private async pingAfterOffsiteCopy(outcomeOf: OffsiteOutcomeReader, name: string): Promise<void> {
    const outcome = await outcomeOf(this.config, name).catch(() => "none" as const);
    // Stopped by the server's stop: the next start finishes the copy, and the next run pings.
    if (outcome === "stopped") return;
    await sendHeartbeat(this.config, outcome !== "failed");
  }

  private disarm(): void {
    this.job?.stop();
    this.job = null;
  }

  // Armed from a request too (update() from the schedule route): croner's timers then carry that
  // request's asynchronous context, whose lease is released by the time they fire, so each run
  // takes leases of its own (lib/db/lease.ts).
  private arm(): void {
    this.disarm();
    if (!this.settings.cron) return;
    // protect: a run that outlasts the interval is not started twice.
    this.job = new Cron(this.settings.cron, { protect: true }, async () => {
      await this.runOnce();
    });
  }

  /** One scheduled run; never throws (the outcome is recorded and audited). */
  runOnce(): Promise<LastRun> {
    const run = this.run().finally(() => {
      if (this.current === run) this.current = null;
    });
    this.current = run;
    return run;
  }

  private async run(): Promise<LastRun> {
    this.running = true;
    const previous = await readSystemSetting<LastRun>(LAST_RUN_KEY).catch(() => null);
    const at = new Date().toISOString();
    let lastRun: LastRun;
    try {
      if (!this.makeBackup) throw new Error("the scheduler ran before it was started");
      const backup = await this.makeBackup({
        config: this.config,
        kind: "scheduled",
        actor: SYSTEM_ACTOR,
        actorLabel: "schedule",
      });
      const deleted = applyRetention(this.config.backupDir, this.settings.keep);
      if (deleted.length > 0) {
        logger().info(`retention deleted ${deleted.join(", ")}`);
        await recordAuditSafely({
          actor: SYSTEM_ACTOR,
          action: "backup.deleted",
          result: "SUCCESS",
          targetType: "backup",
          targetId: deleted.join(", ").slice(0, 500),
          message: `retention: keep the newest ${this.settings.keep} scheduled backups`,
          metadata: { deleted },
        });
      }
      lastRun = { at, ok: true, name: backup.name, deleted };
    } catch (error) {
      lastRun = { at, ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.running = false;
    }
    await writeSetting(LAST_RUN_KEY, lastRun).catch((error: unknown) =>
      logger().error({ err: error }, "could not record the scheduled run"),
    );
    alertOnOutcome(lastRun, previous);
    if (lastRun.ok && lastRun.name && this.offsiteOutcome) {
      // With an offsite target the success ping waits for the run's offsite copy (retries
      // included), and a copy that failed for good pings /fail: the monitor's green then means
      // "backed up and offsite". Not awaited: the run (which a stop waits for) ends now.
      void this.pingAfterOffsiteCopy(this.offsiteOutcome, lastRun.name);
    } else {
      await sendHeartbeat(this.config, lastRun.ok);
    }
    return lastRun;
  }
}

/** Outcome of a backup's offsite copy, once it has ended (lib/offsite/queue.ts offsiteCopyOutcome). */
export type OffsiteOutcomeReader = (
  config: Pick<Config, "backupDir">,
  name: string,
) => Promise<"none" | "done" | "failed" | "stopped">;

/** One alert per failed run, and one notice when a run succeeds after a failure. */
function alertOnOutcome(run: LastRun, previous: LastRun | null): void {
  if (!run.ok) {
    notify(
      alertEvent(
        "backup.scheduled.failed",
        "A scheduled backup failed",
        `The scheduled backup at ${run.at} failed: ${run.error}. Nothing new is backed up until this is fixed; the schedule tries again at its next run.`,
        { at: run.at, error: run.error },
      ),
    );
  } else if (previous && !previous.ok) {
    notify(
      alertEvent(
        "backup.scheduled.recovered",
        "Scheduled backups work again",
        `The scheduled backup at ${run.at} succeeded (${run.name}) after the run at ${previous.at} failed.`,
        { at: run.at, backup: run.name, failedAt: previous.at },
      ),
    );
  }
}

export function getScheduler(config: Config): BackupScheduler {
  return processSingleton("scheduler", () => new BackupScheduler(config));
}

export function backupSchedulerService(
  makeBackup: AuditedBackupMaker,
  offsiteOutcome: OffsiteOutcomeReader | null = null,
): Service {
  return {
    name: "backup scheduler",
    start: (config) => getScheduler(config).start(makeBackup, offsiteOutcome),
    stop: () => existingProcessSingleton<BackupScheduler>("scheduler")?.stop(),
  };
}
