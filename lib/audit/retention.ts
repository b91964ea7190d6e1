// "Keep audit events N days" (default: forever), kept in SystemSetting and applied daily by a
// timer in this process, and at once when an owner saves it. Every run that deletes is audited.
import { Cron } from "croner";
import { hasRole } from "../roles";
import { getPrisma } from "../db/prisma";
import { readSystemSetting } from "../db/raw-reads";
import { KnownError } from "../errors";
import type { User } from "../generated/prisma/client";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { recordAuditSafely, SYSTEM_ACTOR, type AuditActor, type RequestOrigin } from "./record";

const SETTING_KEY = "audit.retentionDays";
export const MAX_RETENTION_DAYS = 36_500;

export class RetentionError extends KnownError {
  override name = "RetentionError";
  constructor(message: string) {
    super("invalid", "invalid_input", message);
  }
}

/** Days to keep, or null for forever. */
export async function getAuditRetentionDays(): Promise<number | null> {
  return readSystemSetting<number | null>(SETTING_KEY);
}

/** Deletes events older than the retention; returns how many. Nothing when kept forever. */
export async function applyAuditRetention(
  actor: AuditActor = { ...SYSTEM_ACTOR, id: "audit-retention" },
  origin?: RequestOrigin,
): Promise<number> {
  const days = await getAuditRetentionDays();
  if (days === null) return 0;
  const before = new Date(Date.now() - days * 86_400_000);
  const { count } = await getPrisma().auditEvent.deleteMany({ where: { createdAt: { lt: before } } });
  if (count > 0) {
    await recordAuditSafely({
      actor,
      action: "audit.retention.applied",
      result: "SUCCESS",
      origin,
      metadata: { days, deleted: count, before: before.toISOString() },
    });
  }
  return count;
}

/** `actor`: a signed-in Actor (lib/auth/actor.ts) fits; named by shape, as lib/auth sits above this folder. */
export async function setAuditRetentionDays(
  actor: { user: Pick<User, "role"> },
  days: number | null,
): Promise<{ from: number | null; to: number | null }> {
  if (!hasRole(actor.user.role, "owner")) {
    throw new KnownError("forbidden", "forbidden", `This needs the owner role; you are ${actor.user.role}.`);
  }
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)) {
    throw new RetentionError(
      `Days must be a whole number from 1 to ${MAX_RETENTION_DAYS}, or null to keep events forever.`,
    );
  }
  const from = await getAuditRetentionDays();
  const valueJson = JSON.stringify(days);
  await getPrisma().systemSetting.upsert({
    where: { key: SETTING_KEY },
    create: { key: SETTING_KEY, valueJson },
    update: { valueJson },
  });
  return { from, to: days };
}

type DailyRun = { job: Cron | null; current: Promise<void> | null };
const dailyRun = () => processSingleton<DailyRun>("audit-retention", () => ({ job: null, current: null }));

/** The daily run (03:30 server time); a stop waits for the run in progress. */
export const auditRetentionService: Service = {
  name: "audit retention",
  start() {
    const d = dailyRun();
    d.job ??= new Cron("30 3 * * *", { protect: true }, async () => {
      d.current = applyAuditRetention()
        .then(() => {})
        .catch((error: unknown) => logger().error({ err: error }, "audit retention failed"));
      await d.current;
      d.current = null;
    });
  },
  async stop() {
    const d = dailyRun();
    d.job?.stop();
    d.job = null;
    await d.current;
  },
};
