// Finishes what a backup's after-work left undone. The durable record of that work lives beside
// each backup: its manifest says whether and when it was proven (verification), its offsite copy
// state says pending / uploading / done / failed with the attempts made and the next one's time.
// At start and then on a timer, the reconciler reads them and queues whatever is missing — a
// proof for a backup never verified (the server was killed first), a copy still pending or
// interrupted mid-upload — into the lanes that do the work (lib/backup/proof.ts,
// lib/offsite/queue.ts). Queuing twice is harmless: each lane drops what it already has. At start
// it also has the multipart uploads a killed process left in the bucket aborted.
import { listBackups } from "../backup/catalog";
import { environmentalFailureAt, proofQueued, queueBackupProof } from "../backup/proof";
import type { Config } from "../config";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { readCopyState } from "../offsite/copy-state";
import { offsiteCopyQueued, queueAbandonedUploadSweep, queueOffsiteCopy } from "../offsite/queue";

/** How often the reconciler looks again while the server runs. */
export const RECONCILE_INTERVAL_MS = 60_000;
/**
 * On the timer, a backup younger than this is left to its own after-backup proof: the CLI's
 * `backup` (another process, beside a running server) proves what it makes itself.
 */
const YOUNG_BACKUP_MS = 2 * 60_000;

export type Reconciled = { proofs: string[]; copies: string[] };

/**
 * One pass: queues the missing proofs and, with `copies` (at start, when no other process of this
 * server's can be copying), the unfinished copies; returns what it queued. Later, a copy still
 * pending may be the CLI's own, under way beside the server: two uploads of one object must not
 * race, so only a start resumes copies (a restore's pause resumes its own, lib/offsite/queue.ts).
 */
export function reconcileAfterWork(
  config: Pick<Config, "backupDir" | "offsite">,
  options: { copies: boolean; minAgeMs: number },
  now = Date.now(),
): Reconciled {
  const { backupDir } = config;
  const queued: Reconciled = { proofs: [], copies: [] };
  for (const entry of listBackups(backupDir)) {
    // Backups copied in by hand are verified when someone asks: they are not the app's to prove.
    const old = now - Date.parse(entry.createdAt) >= options.minAgeMs;
    const unproven = entry.kind !== "external" && !entry.verification && old;
    if (
      unproven &&
      !proofQueued(backupDir, entry.name) &&
      environmentalFailureAt(backupDir, entry.name, now) === null
    ) {
      queueBackupProof({ backupDir, name: entry.name, how: "after-backup" });
      queued.proofs.push(entry.name);
    }
    const copy = options.copies ? readCopyState(backupDir, entry.name) : null;
    if ((copy?.status === "pending" || copy?.status === "uploading") && !offsiteCopyQueued(backupDir, entry.name)) {
      queueOffsiteCopy({ config, name: entry.name, kind: entry.kind });
      queued.copies.push(entry.name);
    }
  }
  return queued;
}

type ReconcilerState = { timer: NodeJS.Timeout | null };
const reconciler = () => processSingleton<ReconcilerState>("after-work-reconciler", () => ({ timer: null }));

function pass(config: Config, when: "at start" | "reconciler"): void {
  try {
    const atStart = when === "at start";
    const { proofs, copies } = reconcileAfterWork(config, {
      copies: atStart,
      minAgeMs: atStart ? 0 : YOUNG_BACKUP_MS,
    });
    if (proofs.length > 0) logger().info(`${when}: verifying ${proofs.join(", ")}, never verified`);
    if (copies.length > 0) logger().info(`${when}: offsite copies queued again: ${copies.join(", ")}`);
  } catch (error) {
    logger().warn(`${when}: the backup folder could not be read: ${(error as Error).message}`);
  }
}

/** A service (lib/system/services.ts): one pass at start, then one every RECONCILE_INTERVAL_MS. */
export const reconcilerService: Service = {
  name: "after-work reconciler",
  start(config) {
    const r = reconciler();
    if (r.timer) clearInterval(r.timer);
    // First in the copy lane: the uploads a kill left half-done are aborted before any new one.
    queueAbandonedUploadSweep(config);
    pass(config, "at start");
    // Armed from start-up code, outside any request: the timer carries no request's context.
    r.timer = setInterval(() => pass(config, "reconciler"), RECONCILE_INTERVAL_MS);
    r.timer.unref();
  },
  stop() {
    const r = reconciler();
    if (r.timer) clearInterval(r.timer);
    r.timer = null;
  },
};
