// Copies each new backup offsite in the background, retrying with backoff. Never throws to its
// caller and never touches the local backup: a failed copy is a state beside the backup
// (copy-state.ts, the durable record the reconciler in lib/background reads) and an audit row
// (backup.offsite.copied / backup.offsite.failed), nothing more.
//
// Each attempt takes the copy lane (p-queue, one upload at a time); the wait between two attempts
// (p-retry's backoff) holds nothing, so a copy that keeps failing delays a newer backup's first
// attempt by one attempt at most, and a backup's proof (lib/backup/proof.ts) never waits for it.
import { existsSync } from "node:fs";
import type { S3Client } from "@aws-sdk/client-s3";
import PQueue from "p-queue";
import pRetry from "p-retry";
import { listBackups } from "../backup/catalog";
import { BackupNameError } from "../backup/files";
import { KnownError } from "../errors";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import path from "node:path";
import { recordAuditSafely, SYSTEM_ACTOR } from "../audit/record";
import type { Config } from "../config";
import { alertEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import {
  listCopyStateNames,
  readCopyState,
  setUploadPercent,
  writeCopyState,
  type OffsiteCopyState,
} from "./copy-state";
import { COPY_ATTEMPTS } from "./copy-status";
import { loadOffsiteTarget, type OffsiteKind, type OffsiteTarget } from "./target";

export { COPY_ATTEMPTS };
const MAX_RETRY_DELAY_MS = 10 * 60 * 1000;

type CopyLane = { uploads: PQueue; copies: Map<string, Promise<void>>; stopping: AbortController };
const lane = () =>
  processSingleton<CopyLane>("offsite-copy-lane", () => ({
    uploads: new PQueue({ concurrency: 1 }),
    copies: new Map(),
    stopping: new AbortController(),
  }));

type CopyRequest = { config: Pick<Config, "backupDir" | "offsite">; name: string; kind: string };

/** The wait after failed attempt `attempt` (1-based): doubles from the first, capped. */
export function retryDelayMs(firstDelayMs: number, attempt: number): number {
  return Math.min(firstDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/**
 * Queues the offsite copy of a stored backup and returns at once. Does nothing when no target is
 * configured, the target does not take this kind, or this backup's copy is already under way. A
 * copy interrupted by a stop resumes after the attempts it had made; one that failed for good or
 * succeeded is left alone (retryFailedCopy starts a failed one over).
 */
export function queueOffsiteCopy(request: CopyRequest): void {
  const l = lane();
  const key = `${request.config.backupDir}\0${request.name}`;
  if (l.copies.has(key)) return;
  const stoppedBy = l.stopping.signal;
  const copy = copyWithRetries(request, l)
    .catch((error: unknown) => logger().error(`offsite copy of ${request.name}: ${(error as Error).message}`))
    .finally(() => {
      l.copies.delete(key);
      // Stopped by a pause that has ended meanwhile (a restore's): taken up again where it was.
      if (stoppedBy.aborted && !lane().stopping.signal.aborted) queueOffsiteCopy(request);
    });
  l.copies.set(key, copy);
}

/**
 * Records on disk, before the backup is acknowledged, that its copy is due (pending, no attempt
 * yet), when the target takes its kind: a crash before the copy starts leaves a state the
 * reconciler finds. Never throws: without the record, the copy still runs in this process.
 */
export async function recordCopyDue(request: CopyRequest): Promise<void> {
  try {
    const target = await loadOffsiteTarget(request.config);
    if (!target || !target.kinds.includes(request.kind as OffsiteKind)) return;
    if (readCopyState(request.config.backupDir, request.name)) return;
    await writeCopyState(request.config.backupDir, request.name, {
      status: "pending",
      at: new Date().toISOString(),
      attempts: 0,
    });
  } catch (error) {
    logger().warn(`could not record that ${request.name} is due offsite: ${(error as Error).message}`);
  }
}

/** "Retry offsite copy now" found nothing to retry. */
export class NothingToRetryError extends KnownError {
  override name = "NothingToRetryError";
  constructor(message: string) {
    super("conflict", "nothing_to_retry", message);
  }
}

/**
 * "Retry offsite copy now" on a copy that failed for good: starts it over with a full set of
 * attempts and returns its new (pending) state. NothingToRetryError when the copy has not failed for good.
 */
export async function retryFailedCopy(
  config: Pick<Config, "backupDir" | "offsite">,
  name: string,
): Promise<OffsiteCopyState> {
  const { backupDir } = config;
  const entry = listBackups(backupDir).find((backup) => backup.name === name);
  if (!entry) throw new BackupNameError(`No backup named ${name}.`);
  const current = readCopyState(backupDir, name);
  if (current?.status !== "failed" || offsiteCopyQueued(backupDir, name)) {
    throw new NothingToRetryError(
      `The offsite copy of ${name} has not failed (it is ${current ? current.status : "not recorded"}): nothing to retry.`,
    );
  }
  const state: OffsiteCopyState = { status: "pending", at: new Date().toISOString(), attempts: 0 };
  await writeCopyState(backupDir, name, state);
  queueOffsiteCopy({ config, name, kind: entry.kind });
  return state;
}

/** Whether this backup's copy is queued, waiting for a retry or uploading in this process. */
export function offsiteCopyQueued(backupDir: string, name: string): boolean {
  return lane().copies.has(`${backupDir}\0${name}`);
}

/** How a backup's offsite copy ended: none taken (no target, or not this kind), or its state. */
export type OffsiteCopyOutcome = "none" | "done" | "failed" | "stopped";

/**
 * Waits for this backup's copy in this process (retries included) and says how it ended;
 * "stopped" when the server stopped it first (the reconciler resumes it at the next start).
 * Never throws.
 */
export async function offsiteCopyOutcome(config: Pick<Config, "backupDir">, name: string): Promise<OffsiteCopyOutcome> {
  const key = `${config.backupDir}\0${name}`;
  // A copy a restore's pause stopped is queued again as it ends: a new promise under the same key.
  for (let running = lane().copies.get(key); running; running = lane().copies.get(key)) await running;
  const state = readCopyState(config.backupDir, name);
  if (!state) return "none";
  return state.status === "done" ? "done" : state.status === "failed" ? "failed" : "stopped";
}

/** Resolves when every queued copy has finished (the CLI waits before it exits). */
export async function offsiteCopiesSettled(): Promise<void> {
  const l = lane();
  while (l.copies.size > 0) await Promise.all([...l.copies.values()]);
}

/**
 * The server's stop (or a restore's pause): no new attempt starts and the waits between attempts
 * end, their states left pending on disk for the reconciler. The upload under way is not waited
 * for (it can take minutes): it reads a stored backup, never the live database, nothing shows
 * under its key until it completes, and the multipart upload an exit cuts is aborted at the next
 * start (queueAbandonedUploadSweep).
 */
export function stopOffsiteCopies(): void {
  // Not uploads.clear(): a cleared job's promise never settles. Each queued attempt sees the
  // signal and ends at once instead.
  lane().stopping.abort();
}

/** Takes copies again after stopOffsiteCopies (the copies stopped are queued by the reconciler). */
export function startOffsiteCopies(): void {
  const l = lane();
  if (l.stopping.signal.aborted) l.stopping = new AbortController();
}

class StoppedError extends Error {
  override name = "StoppedError";
}

async function copyWithRetries({ config, name, kind }: CopyRequest, l: CopyLane): Promise<void> {
  let target: OffsiteTarget | null;
  try {
    target = await loadOffsiteTarget(config);
  } catch (error) {
    logger().error(`offsite copy of ${name} skipped: the offsite target is invalid: ${(error as Error).message}`);
    return;
  }
  if (!target || !target.kinds.includes(kind as OffsiteKind)) return;
  const { backupDir } = config;
  const prior = readCopyState(backupDir, name);
  if (prior?.status === "done" || prior?.status === "failed") return;
  // Attempts a stopped process made count: the copy resumes where it was, waits included.
  const before = prior?.error ? Math.min(prior.attempts, COPY_ATTEMPTS - 1) : 0;
  const signal = l.stopping.signal;
  // The S3 SDK is loaded with the first copy, not with the server (start-up imports this queue).
  const [{ describeS3Error, s3ClientFor }, { uploadBackupCopy }] = await Promise.all([
    import("./s3"),
    import("./upload"),
  ]);
  const save = (state: OffsiteCopyState) =>
    writeCopyState(backupDir, name, state).catch((error) =>
      logger().error({ err: error }, `could not record the offsite state of ${name}`),
    );
  // An upload a kill interrupted stays recorded until a sweep has aborted it.
  let openUpload = prior?.upload;
  if (before === 0) await save({ status: "pending", at: new Date().toISOString(), attempts: 0, upload: openUpload });
  const wait = prior?.nextAttemptAt ? Date.parse(prior.nextAttemptAt) - Date.now() : 0;
  if (before > 0 && wait > 0) await abortableSleep(wait, signal);

  const client = s3ClientFor(target);
  const backupGone = () => !existsSync(path.join(/* turbopackIgnore: true */ backupDir, name));
  let lastError = prior?.error;
  try {
    const attemptOnce = async (attempt: number) => {
      if (signal.aborted) throw new StoppedError("the server is stopping");
      const uploading = (upload?: { key: string; uploadId: string }) =>
        save({ status: "uploading", at: new Date().toISOString(), attempts: attempt, error: lastError, upload });
      await uploading(openUpload);
      const startedAt = Date.now();
      try {
        setUploadPercent(name, 0);
        const copy = await uploadBackupCopy(
          client,
          target,
          backupDir,
          name,
          (fraction) => setUploadPercent(name, Math.floor(fraction * 100)),
          async (upload) => {
            openUpload = upload;
            await uploading(upload);
          },
        );
        openUpload = undefined;
        return { copy, durationMs: Date.now() - startedAt };
      } catch (error) {
        lastError = describeS3Error(error, target);
        // Whatever this attempt (or a killed process before it) left half-uploaded is billed
        // until aborted: abort it now, while the store answers.
        openUpload = (
          await abortAbandoned(client, target, openUpload ? [openUpload] : [], "after a failed attempt")
        )[0];
        throw new Error(lastError, { cause: error });
      } finally {
        setUploadPercent(name, null);
      }
    };
    let attempt = before;
    const { copy, durationMs } = (await pRetry(
      async () => {
        attempt++;
        const current = attempt;
        return l.uploads.add(() => attemptOnce(current));
      },
      {
        retries: COPY_ATTEMPTS - before - 1,
        factor: 2,
        minTimeout: retryDelayMs(config.offsite.retryFirstDelayMs, before + 1),
        maxTimeout: MAX_RETRY_DELAY_MS,
        randomize: false,
        signal,
        shouldRetry: ({ error }) => !(error instanceof StoppedError) && !backupGone(),
        onFailedAttempt: async ({ retriesLeft }) => {
          if (retriesLeft === 0 || backupGone() || signal.aborted) return;
          const delay = retryDelayMs(config.offsite.retryFirstDelayMs, attempt);
          const nextAttemptAt = new Date(Date.now() + delay).toISOString();
          await save({
            status: "pending",
            at: new Date().toISOString(),
            attempts: attempt,
            error: lastError,
            nextAttemptAt,
            upload: openUpload,
          });
          logger().warn(
            `offsite copy of ${name}, attempt ${attempt} failed: ${lastError}; retrying at ${nextAttemptAt}`,
          );
        },
      },
    ).catch(async (error: unknown) => {
      if (backupGone()) return null; // deleted meanwhile: nothing to copy
      if (error instanceof StoppedError || signal.aborted) {
        await save({
          status: "pending",
          at: new Date().toISOString(),
          attempts: attempt,
          error: lastError ?? "stopped",
          upload: openUpload,
        });
        return null;
      }
      const reason = lastError ?? (error as Error).message;
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
          `${reason} (after ${attempt} attempts). The backup is stored locally only; check the offsite target in Backups → Offsite and "Test connection", then "Retry offsite copy now".`,
          { backup: name, bucket: target.bucket, attempts: attempt, error: reason },
        ),
      );
      return null;
    })) ?? { copy: null, durationMs: 0 };
    if (!copy) return;
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
  } finally {
    client.destroy();
  }
}

/** When this process started: multipart uploads begun before it are nobody's any more. */
const processStartedAt = new Date(Date.now() - Math.round(process.uptime() * 1000));

type OpenUpload = { key: string; uploadId: string };

/**
 * Aborts the multipart uploads left under the target's prefix by an earlier process, and the
 * `known` ones on record. Never throws; returns those it could not abort (to keep on record).
 */
async function abortAbandoned(
  client: S3Client,
  target: OffsiteTarget,
  known: OpenUpload[],
  when: "at start" | "after a failed attempt",
): Promise<OpenUpload[]> {
  const [{ abortAbandonedUploads }, { keyPrefix }] = await Promise.all([import("./multipart"), import("./s3")]);
  const { aborted, listError } = await abortAbandonedUploads(
    client,
    target.bucket,
    keyPrefix(target),
    processStartedAt,
    known,
  );
  if (aborted.length > 0) {
    logger().info(`aborted ${aborted.length} incomplete offsite upload(s): ${aborted.map((u) => u.key).join(", ")}`);
  }
  // After a failed attempt the store is often the thing that fails: said once at start instead.
  const level = when === "at start" ? "warn" : "debug";
  if (listError) logger()[level](`incomplete offsite uploads could not all be listed or aborted: ${listError}`);
  return known.filter((upload) => !aborted.some((done) => done.uploadId === upload.uploadId));
}

/**
 * At start, before any copy takes the lane: aborts the multipart uploads a killed process left
 * under the target's prefix (listed, and recorded in the copy states). Returns at once.
 */
export function queueAbandonedUploadSweep(config: Pick<Config, "backupDir" | "offsite">): void {
  const l = lane();
  // Read now, before the copies resumed after this overwrite their states.
  const known = listCopyStateNames(config.backupDir)
    .map((name) => readCopyState(config.backupDir, name)?.upload)
    .filter((upload): upload is OpenUpload => upload !== undefined);
  void l.uploads
    .add(async () => {
      const target = await loadOffsiteTarget(config).catch(() => null);
      if (!target) return;
      const { s3ClientFor } = await import("./s3");
      const client = s3ClientFor(target);
      try {
        await abortAbandoned(client, target, known, "at start");
      } finally {
        client.destroy();
      }
    })
    .catch((error: unknown) => logger().warn(`offsite upload sweep: ${(error as Error).message}`));
}

// A referenced timer: the CLI waits for its copy's retries, and an unreferenced one would let its
// process exit in the middle of them. The server's stop ends it through the signal.
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
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
