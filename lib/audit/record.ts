// The audit trail: one row per security-relevant action, written through Prisma.
import { getPrisma } from "../db/prisma";
import { logger } from "../log";
import type { ActorType, AuditResult } from "../generated/prisma/client";

export type AuditActor = { type: ActorType; id: string | null };
export type RequestOrigin = { ipAddress: string | null; userAgent: string | null };

export type AuditEntry = {
  actor: AuditActor;
  action: string;
  result: AuditResult;
  targetType?: string;
  targetId?: string;
  message?: string;
  origin?: RequestOrigin;
  metadata?: Record<string, unknown>;
};

export const SYSTEM_ACTOR: AuditActor = { type: "SYSTEM", id: "opstage" };

export async function recordAudit(entry: AuditEntry): Promise<void> {
  await getPrisma().auditEvent.create({
    data: {
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      action: entry.action,
      result: entry.result,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      message: entry.message ?? null,
      ipAddress: entry.origin?.ipAddress ?? null,
      userAgent: entry.origin?.userAgent?.slice(0, 512) ?? null,
      metadataJson: entry.metadata ? JSON.stringify(entry.metadata) : null,
    },
  });
}

/**
 * Records without failing the caller: used after the action itself succeeded (a backup that was
 * made must still be delivered when the audit write fails), logging the failure loudly instead.
 */
export async function recordAuditSafely(entry: AuditEntry): Promise<void> {
  try {
    await recordAudit(entry);
  } catch (error) {
    logger().error({ err: error, action: entry.action }, `audit: could not record ${entry.action}`);
  }
}
