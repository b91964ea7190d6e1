// Every stored backup proven, not assumed: verified (verify.ts: checksum, integrity_check, "can
// this build start on it") in the background right after it is stored, again by the reconciler
// (lib/background) for any backup whose manifest records no verification (a crash came first),
// and the newest one again whenever its last verification is older than
// OPSTAGE_BACKUP_REVERIFY_HOURS. The result goes into the backup's manifest (verification.at /
// .how), an audit row (backup.verified) and, for a bad backup, an alert (backup.verify.failed).
//
// A proof that cannot run for a reason outside the backup (the disk is full, an I/O error) is
// not a verdict on the backup: it is audited as backup.verify.error and alerted as such, and the
// backup stays "not verified" for the reconciler to try again.
//
// Proofs have a lane of their own (p-queue, one at a time): they never wait for an offsite copy.
// No database lease is held while a file is verified: verification reads the backup, never the
// live database, and a restore must not wait for it.
import { existsSync } from "node:fs";
import PQueue from "p-queue";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import { alertEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import { migrationsDir } from "../db/paths";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import { readMigrationFiles } from "../migrate/files";
import { isGoodBackup, listBackups } from "./catalog";
import { backupPath } from "./files";
import type { VerificationHow } from "./manifest";
import { verifyBackup } from "./verify";

/** Error codes that say the host failed, not the backup. */
const ENVIRONMENTAL_CODES = new Set(["ENOSPC", "EDQUOT", "EIO", "EROFS", "EMFILE", "ENFILE", "ENOMEM"]);

/** After an environmental failure, the reconciler leaves the backup alone this long. */
export const PROOF_RETRY_AFTER_MS = 10 * 60 * 1000;

type ProofLane = {
  queue: PQueue;
  queued: Set<string>;
  environmentalFailures: Map<string, number>;
  stopping: boolean;
};
const lane = () =>
  processSingleton<ProofLane>("proof-lane", () => ({
    queue: new PQueue({ concurrency: 1 }),
    queued: new Set(),
    environmentalFailures: new Map(),
    stopping: false,
  }));

type ProofRequest = { backupDir: string; name: string; how: VerificationHow };

function keyOf({ backupDir, name }: { backupDir: string; name: string }): string {
  return `${backupDir}\0${name}`;
}

/** Queues the verification of a stored backup and returns at once; never throws. */
export function queueBackupProof(input: ProofRequest): void {
  const l = lane();
  const key = keyOf(input);
  if (l.queued.has(key)) return; // already waiting or running: one verification answers both
  l.queued.add(key);
  void l.queue
    .add(async () => (l.stopping ? undefined : prove(input)))
    .catch((error: unknown) => logger().error(`verifying ${input.name}: ${(error as Error).message}`))
    .finally(() => l.queued.delete(key));
}

/** Whether a proof of this backup is queued or running in this process. */
export function proofQueued(backupDir: string, name: string): boolean {
  return lane().queued.has(keyOf({ backupDir, name }));
}

/** When the last proof of this backup failed for an environmental reason, if it did recently. */
export function environmentalFailureAt(backupDir: string, name: string, now = Date.now()): number | null {
  const at = lane().environmentalFailures.get(keyOf({ backupDir, name }));
  return at !== undefined && now - at < PROOF_RETRY_AFTER_MS ? at : null;
}

/** Resolves when every queued verification has finished (the CLI waits before it exits). */
export async function backupProofsSettled(): Promise<void> {
  await lane().queue.onIdle();
}

/**
 * The server's stop (or a restore's pause): the proofs not started yet are dropped (the backups
 * stay "not verified" on disk, and the reconciler queues them again at the next start). The one
 * running is not waited for: it reads a stored backup, never the live database, and writes its
 * verdict into the manifest by rename, so an exit cuts it cleanly.
 */
export function stopBackupProofs(): void {
  // Not queue.clear(): a cleared job's promise never settles. Queued proofs see the flag and end.
  lane().stopping = true;
}

/** Takes proofs again after stopBackupProofs. */
export function startBackupProofs(): void {
  lane().stopping = false;
}

function environmentalCode(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && ENVIRONMENTAL_CODES.has(code)) return code;
  const message = error instanceof Error ? error.message : String(error);
  const named =
    /\b(ENOSPC|EDQUOT|EIO|EROFS)\b/.exec(message) ??
    (/SQLITE_FULL|database or disk is full/i.test(message) ? ["ENOSPC"] : null);
  return named ? named[0] : null;
}

/** backupPath throws for a backup that is gone; a proof only asks whether it is still there. */
function stillThere(backupDir: string, name: string): boolean {
  try {
    return existsSync(backupPath(backupDir, name));
  } catch {
    return false;
  }
}

async function prove({ backupDir, name, how }: ProofRequest): Promise<void> {
  // Deleted meanwhile (retention, an owner): nothing to prove, and nothing wrong.
  if (!stillThere(backupDir, name)) return;
  let verification;
  try {
    verification = await verifyBackup(backupDir, name, readMigrationFiles(migrationsDir()), how);
  } catch (error) {
    if ((error as Error).name === "BackupGoneError" || !stillThere(backupDir, name)) return;
    const code = environmentalCode(error);
    if (!code) throw error;
    await environmentalFailure({ backupDir, name, how }, code, error as Error);
    return;
  }
  lane().environmentalFailures.delete(keyOf({ backupDir, name }));
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

async function environmentalFailure(request: ProofRequest, code: string, error: Error): Promise<void> {
  const { name, how } = request;
  lane().environmentalFailures.set(keyOf(request), Date.now());
  const what =
    code === "ENOSPC" || code === "EDQUOT"
      ? "the backup folder's disk is full"
      : code === "EIO"
        ? "the disk reported an I/O error"
        : `the host refused (${code})`;
  const detail = `${name} could not be verified: ${what} (${error.message}). This says nothing about the backup itself; it stays "not verified" and is verified again once there is room.`;
  logger().error(detail);
  await recordAuditSafely({
    actor: SYSTEM_ACTOR,
    action: "backup.verify.error",
    result: "FAILURE",
    targetType: "backup",
    targetId: name,
    message: detail,
    metadata: { code, how, environmental: true },
  });
  notify(
    alertEvent(
      "backup.verify.error",
      `Backup ${name} could not be verified: ${what}`,
      `${detail} Free space in the backup folder (or fix the disk) and the proof runs again by itself.`,
      { backup: name, code, how },
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
