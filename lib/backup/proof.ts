// Every stored backup proven, not assumed: verified (verify.ts: checksum, integrity_check, "can
// this build start on it") in the background right after it is stored, and the newest one again
// whenever its last verification is older than OPSTAGE_BACKUP_REVERIFY_HOURS. One verification
// at a time; the result goes into the backup's manifest (verification.at / .how), an audit row
// (backup.verified) and, for a bad backup, an alert (backup.verify.failed).
//
// One background job at a time (background-slot.ts), hash and integrity_check one after the
// other: a proof costs one worker's memory and never adds to an offsite upload's.
//
// No database lease is held while a file is verified: verification reads the backup, never the
// live database, and a restore must not wait for it. Its audit and alert writes go through Prisma,
// which takes a lease per query (lib/db/prisma.ts).
import { existsSync } from "node:fs";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { alertEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import { migrationsDir } from "../db/paths";
import { logger } from "../log";
import type { Service } from "../service";
import { readMigrationFiles } from "../migrate/files";
import { withBackgroundSlot } from "./background-slot";
import { isGoodBackup, listBackups } from "./catalog";
import { backupPath } from "./files";
import type { VerificationHow } from "./manifest";
import { verifyBackup } from "./verify";

type ProofQueue = { tail: Promise<void>; pending: number; queued: Set<string> };
// One queue per process (Next bundles each route with its own copy of this module).
const globalQueue = globalThis as unknown as { opstageProofQueue?: ProofQueue };
function queue(): ProofQueue {
  globalQueue.opstageProofQueue ??= { tail: Promise.resolve(), pending: 0, queued: new Set() };
  return globalQueue.opstageProofQueue;
}

type ProofRequest = { backupDir: string; name: string; how: VerificationHow };

/**
 * Queues the verification of a stored backup and returns at once; never throws. `after`: a
 * promise (never rejected) to wait for first — the backup's offsite copy's first attempt.
 */
export function queueBackupProof(input: ProofRequest & { after?: Promise<void> }): void {
  const q = queue();
  const key = `${input.backupDir}\0${input.name}`;
  if (q.queued.has(key)) return; // already waiting: one verification answers both
  q.queued.add(key);
  q.pending++;
  q.tail = q.tail
    .then(async () => {
      await input.after;
      q.queued.delete(key);
      return prove(input);
    })
    .catch((error: unknown) => logger().error(`verifying ${input.name}: ${(error as Error).message}`))
    .finally(() => q.pending--);
}

/** Resolves when every queued verification has finished (the CLI waits before it exits). */
export async function backupProofsSettled(): Promise<void> {
  while (queue().pending > 0) await queue().tail;
}

async function prove({ backupDir, name, how }: ProofRequest) {
  if (!existsSync(backupPath(backupDir, name))) return; // deleted meanwhile (retention)
  let verification;
  try {
    verification = await withBackgroundSlot(() =>
      verifyBackup(backupDir, name, readMigrationFiles(migrationsDir()), how),
    );
  } catch (error) {
    if ((error as Error).name === "BackupGoneError" || !existsSync(backupPath(backupDir, name))) return;
    throw error;
  }
  await recordAuditSafely({
    actor: SYSTEM_ACTOR,
    action: "backup.verified",
    result: verification.restorable ? "SUCCESS" : "FAILURE",
    targetType: "backup",
    targetId: name,
    message: verification.detail,
    metadata: { state: verification.state, how },
  });
  if (verification.restorable) return;
  logger().error(`backup ${name} failed verification (${how}): ${verification.detail}`);
  notify(
    alertEvent(
      "backup.verify.failed",
      `Backup ${name} failed verification`,
      `${verification.detail} This backup cannot be relied on: make a new backup now and find out what changed the file.`,
      { backup: name, state: verification.state, how },
    ),
  );
}

/**
 * Queues a re-check of the newest good backup when its last verification is older than
 * `intervalMs` (or it has none). Returns the name queued, or null.
 */
export function reverifyNewestIfDue(backupDir: string, intervalMs: number, now = new Date()): string | null {
  const newest = listBackups(backupDir).find(isGoodBackup);
  if (!newest) return null;
  // A backup never verified counts from its creation (its after-backup check may be under way).
  const provenAt = new Date(newest.verification?.at ?? newest.createdAt).getTime();
  if (now.getTime() - provenAt < intervalMs) return null;
  queueBackupProof({ backupDir, name: newest.name, how: "re-check" });
  return newest.name;
}

/**
 * The proof queue, as a service: nothing to start (backups are queued as they are stored), and a
 * stop waits for nothing: a verification reads a stored backup, never the live database, and
 * writes its verdict into the backup's manifest by rename, so an exit cuts it cleanly (the backup
 * is then re-checked when due).
 */
export const proofQueueService: Service = { name: "proof queue", start: () => {}, stop: () => {} };
