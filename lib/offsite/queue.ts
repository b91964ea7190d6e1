// Copies each new backup offsite in the background, one at a time, retrying with backoff. Never
// throws to its caller and never touches the local backup: a failed copy is a state beside the
// backup and an audit row (backup.offsite.copied / backup.offsite.failed), nothing more.
import { existsSync } from "node:fs";
import type { S3Client } from "@aws-sdk/client-s3";
import { logger } from "../log";
import path from "node:path";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import type { Config } from "../config";
import { alertEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import { setUploadPercent, writeCopyState, type OffsiteCopyState } from "./copy-state";
import { loadOffsiteTarget, type OffsiteKind, type OffsiteTarget } from "./target";
import { withBackgroundSlot } from "../backup/background-slot";

/** Attempts per copy; waits double from OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS, capped below. */
export const COPY_ATTEMPTS = 8;
const MAX_RETRY_DELAY_MS = 10 * 60 * 1000;

type QueueState = { tail: Promise<void>; pending: number };
// One queue per process (Next bundles each route with its own copy of this module).
const globalQueue = globalThis as unknown as { opstageOffsiteQueue?: QueueState };
function queue(): QueueState {
  globalQueue.opstageOffsiteQueue ??= { tail: Promise.resolve(), pending: 0 };
  return globalQueue.opstageOffsiteQueue;
}

type CopyRequest = { config: Pick<Config, "backupDir" | "offsite">; name: string; kind: string };

/**
 * Queues the offsite copy of a stored backup and returns at once. Does nothing when no target is
 * configured or the target does not take this kind. The promise returned (never rejected) tells
 * when the copy's first attempt is over, whatever its outcome: the backup's proof waits for it.
 */
export function queueOffsiteCopy(request: CopyRequest): Promise<void> {
  let firstAttemptOver!: () => void;
  const firstAttempt = new Promise<void>((resolve) => (firstAttemptOver = resolve));
  const q = queue();
  q.pending++;
  q.tail = q.tail
    .then(() => copyWithRetries(request, firstAttemptOver))
    .catch((error: unknown) => logger().error(`offsite copy of ${request.name}: ${(error as Error).message}`))
    .finally(() => {
      q.pending--;
      firstAttemptOver();
    });
  return firstAttempt;
}

/** Resolves when every queued copy has finished (the CLI waits before it exits). */
export async function offsiteCopiesSettled(): Promise<void> {
  while (queue().pending > 0) await queue().tail;
}

// A referenced timer: the CLI waits for its copy's retries, and an unreferenced one would let
// its process exit in the middle of them. The server exits through process.exit anyway.
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function copyWithRetries({ config, name, kind }: CopyRequest, firstAttemptOver: () => void): Promise<void> {
  let target: OffsiteTarget | null;
  try {
    target = await loadOffsiteTarget(config);
  } catch (error) {
    logger().error(`offsite copy of ${name} skipped: the offsite target is invalid: ${(error as Error).message}`);
    return;
  }
  if (!target || !target.kinds.includes(kind as OffsiteKind)) return;
  const { backupDir } = config;
  // The S3 SDK is loaded with the first copy, not with the server (start-up imports this queue).
  const [{ describeS3Error, s3ClientFor }, { uploadBackupCopy }] = await Promise.all([
    import("./s3"),
    import("./upload"),
  ]);
  const save = (state: OffsiteCopyState) =>
    writeCopyState(backupDir, name, state).catch((error) =>
      logger().error({ err: error }, `could not record the offsite state of ${name}`),
    );
  await save({ status: "pending", at: new Date().toISOString(), attempts: 0 });

  const client = s3ClientFor(target);
  try {
    for (let attempt = 1; ; attempt++) {
      await save({ status: "uploading", at: new Date().toISOString(), attempts: attempt });
      const startedAt = Date.now();
      try {
        setUploadPercent(name, 0);
        const copy = await withBackgroundSlot(() =>
          uploadBackupCopy(client, target, backupDir, name, (fraction) =>
            setUploadPercent(name, Math.floor(fraction * 100)),
          ),
        );
        const durationMs = Date.now() - startedAt;
        await save({
          status: "done",
          at: new Date().toISOString(),
          attempts: attempt,
          key: copy.key,
          sha256: copy.sha256,
          bytes: copy.bytes,
          encrypted: copy.encrypted,
          durationMs,
        });
        logger().info(
          `offsite copy of ${name} stored as ${copy.key} (${copy.bytes} bytes${copy.encrypted ? ", encrypted" : ""})`,
        );
        await recordAuditSafely({
          actor: SYSTEM_ACTOR,
          action: "backup.offsite.copied",
          result: "SUCCESS",
          targetType: "backup",
          targetId: name,
          metadata: {
            key: copy.key,
            bucket: target.bucket,
            bytes: copy.bytes,
            sha256: copy.sha256,
            encrypted: copy.encrypted,
            attempts: attempt,
            durationMs,
            kind,
          },
        });
        if (kind === "scheduled") await applyRetention(target, client);
        return;
      } catch (error) {
        const reason = describeS3Error(error, target);
        if (!existsSync(path.join(/* turbopackIgnore: true */ backupDir, name))) return; // deleted meanwhile: nothing to copy
        if (attempt >= COPY_ATTEMPTS) {
          await save({ status: "failed", at: new Date().toISOString(), attempts: attempt, error: reason });
          logger().error(`offsite copy of ${name} failed after ${attempt} attempts: ${reason}`);
          await recordAuditSafely({
            actor: SYSTEM_ACTOR,
            action: "backup.offsite.failed",
            result: "FAILURE",
            targetType: "backup",
            targetId: name,
            message: reason,
            metadata: { bucket: target.bucket, attempts: attempt, kind },
          });
          notify(
            alertEvent(
              "backup.offsite.failed",
              `The offsite copy of ${name} failed`,
              `${reason} (after ${attempt} attempts). The backup is stored locally only; check the offsite target in Backups → Offsite and "Test connection".`,
              { backup: name, bucket: target.bucket, attempts: attempt, error: reason },
            ),
          );
          return;
        }
        const delay = Math.min(config.offsite.retryFirstDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
        const nextAttemptAt = new Date(Date.now() + delay).toISOString();
        await save({
          status: "pending",
          at: new Date().toISOString(),
          attempts: attempt,
          error: reason,
          nextAttemptAt,
        });
        logger().warn(`offsite copy of ${name}, attempt ${attempt} failed: ${reason}; retrying at ${nextAttemptAt}`);
        await sleep(delay);
      } finally {
        setUploadPercent(name, null);
        firstAttemptOver();
      }
    }
  } finally {
    client.destroy();
  }
}

async function applyRetention(target: OffsiteTarget, client: S3Client): Promise<void> {
  const [{ applyRemoteRetention }, { describeS3Error }] = await Promise.all([import("./remote"), import("./s3")]);
  try {
    const deleted = await applyRemoteRetention(client, target);
    if (deleted.length === 0) return;
    logger().info(`offsite retention deleted ${deleted.join(", ")}`);
    await recordAuditSafely({
      actor: SYSTEM_ACTOR,
      action: "backup.offsite.deleted",
      result: "SUCCESS",
      targetType: "backup",
      targetId: deleted.join(", ").slice(0, 500),
      message: `offsite retention: keep the newest ${target.keepScheduled} scheduled copies`,
      metadata: { deleted, bucket: target.bucket },
    });
  } catch (error) {
    logger().error(`offsite retention failed: ${describeS3Error(error, target)}`);
  }
}
