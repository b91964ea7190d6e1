// Restore to a moment, checked before anything is asked: Litestream restores the replica as it
// was at the moment into a temp file beside the live database, and that file is verified exactly
// as a stored backup's restore verifies its copy (lib/backup/restore.ts, prepareRestore, which
// adopts the file instead of copying it). The verified file is then kept, under a check id,
// until the owner confirms (the install renames it: the moment is not restored twice), cancels,
// or the check expires.
//
// A check is two files in the data folder, both named with the `.tmp-` prefix that start-up
// sweeps (files.ts, removeStaleTempFiles): the verified file and a small JSON record that says
// what it is. Nothing about a check lives only in memory, so a restart can never leave a check
// whose file nobody removes; the in-memory set below only keeps the sweeper off a check that an
// install is using at that moment, and the readers map keeps it off a check being compared.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { KnownError } from "../errors";
import { processSingleton } from "../process-singleton";
import { writeFile } from "node:fs/promises";
import { commitTempFile, ensureDir, tempPathFor } from "../backup/files";
import { prepareRestore, type PreparedRestore } from "../backup/restore";
import type { FileVerification } from "../backup/verify";
import type { MigrationFile } from "../migrate/files";
import type { Service } from "../service";
import { durationMs } from "./litestream-config";
import {
  discardReplicaRestore,
  parseRestoreMoment,
  REPLICA_REFUSAL_ADVICE,
  restoreReplicaToTemp,
} from "./point-in-time";
import type { ReplicaGeneration } from "./status";

const RECORD_PREFIX = ".tmp-moment-check-";
const CHECK_ID = /^[0-9a-f]{32}$/;
/** How often the sweeper looks for expired checks (or sooner, when checks expire sooner). */
const SWEEP_EVERY_MS = 60_000;

export class MomentCheckError extends KnownError {
  override name = "MomentCheckError";
  constructor(kind: "not_found" | "invalid", message: string) {
    super(kind, kind === "not_found" ? "check_not_found" : "restore_refused", message);
  }
}

export type MomentCheck = {
  checkId: string;
  /** The exact moment restored (ISO, UTC), or "latest". */
  moment: string;
  /** The moment asked for (ISO, UTC), or "latest". */
  requested: string;
  replicaLabel: string;
  generation: ReplicaGeneration | null;
  verification: FileVerification;
  createdAt: string;
  expiresAt: string;
};

type CheckRecord = MomentCheck & {
  /** The verified file's name in the data folder. */
  file: string;
  /** What proved the copy's integrity at the check (restore.ts, PreparedRestore). */
  integrityBy?: string;
  /** What the report and the audit call it: "replica … as of …". */
  label: string;
};

/** Checks an install is using right now: the sweeper leaves them alone. */
const inUse = new Set<string>();

/**
 * Checks a comparison is reading right now (check id → how many, and whether the check was
 * removed meanwhile so its file goes once the last reader lets go). On globalThis: the compare
 * route and the sweeper (started from instrumentation) are separate bundles (process-singleton.ts).
 */
type Readers = Map<string, { count: number; discard: (() => void) | null }>;
const readers = () => processSingleton<Readers>("moment-check-readers", () => new Map());

function recordPath(dataDir: string, checkId: string): string {
  return path.join(/* turbopackIgnore: true */ dataDir, `${RECORD_PREFIX}${checkId}.json`);
}

export function momentCheckTtlMs(config: Config): number {
  return durationMs(config.replication.restoreCheckTtl);
}

function readRecord(dataDir: string, checkId: string): CheckRecord | null {
  if (!CHECK_ID.test(checkId)) return null;
  try {
    const record = JSON.parse(readFileSync(/* turbopackIgnore: true */ recordPath(dataDir, checkId), "utf8"));
    // Only a bare name in the data folder is ever removed or installed.
    return record.checkId === checkId && path.basename(record.file) === record.file ? (record as CheckRecord) : null;
  } catch {
    return null;
  }
}

function removeCheck(dataDir: string, checkId: string, record: CheckRecord | null): void {
  rmSync(/* turbopackIgnore: true */ recordPath(dataDir, checkId), { force: true });
  if (!record) return;
  // With the -wal and -shm that verifying it (SQLite opening a WAL-mode file) may leave beside it.
  const discard = () => discardReplicaRestore(path.join(/* turbopackIgnore: true */ dataDir, record.file));
  // A comparison still reading the file keeps it until it ends: the check itself is gone now.
  const reading = readers().get(checkId);
  if (reading) reading.discard = discard;
  else discard();
}

/**
 * Restores the replica as it was at `at` into a temp file, verifies it as a backup's restore
 * verifies its copy, and keeps the verified file under a new check id. A moment the replica does not
 * hold, a file that fails verification or a missing identity is refused (MomentCheckError or the
 * restore's own error), with nothing left behind.
 */
export async function checkMoment(input: {
  config: Config;
  at: string;
  identityText?: string | null;
  shipped: MigrationFile[];
}): Promise<MomentCheck> {
  const { config } = input;
  sweepExpiredMomentChecks(config);
  const at = parseRestoreMoment(input.at);
  const restored = await restoreReplicaToTemp(config, at, { identityText: input.identityText });
  const label = `replica ${restored.replicaLabel} as of ${restored.moment}`;
  let prepared: PreparedRestore;
  try {
    // The file Litestream restored is the checked file itself: kept under the check (with the
    // -wal/-shm that checking it may leave beside it, removed with it) and installed by a rename.
    prepared = await prepareRestore({
      config,
      file: restored.file,
      shipped: input.shipped,
      label,
      refusalAdvice: REPLICA_REFUSAL_ADVICE,
      adopt: true,
    });
  } catch (error) {
    discardReplicaRestore(restored.file);
    throw error;
  }
  const checkId = randomBytes(16).toString("hex");
  const now = Date.now();
  const record: CheckRecord = {
    checkId,
    moment: restored.moment,
    requested: restored.requested,
    replicaLabel: restored.replicaLabel,
    generation: restored.generation,
    verification: prepared.verification,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + momentCheckTtlMs(config)).toISOString(),
    file: path.basename(prepared.temp),
    label,
    integrityBy: `${prepared.integrityBy} (at the check of the moment)`,
  };
  try {
    ensureDir(config.dataDir);
    const temp = tempPathFor(config.dataDir, `${RECORD_PREFIX}${checkId}.json`);
    await writeFile(/* turbopackIgnore: true */ temp, `${JSON.stringify(record, null, 2)}\n`);
    await commitTempFile(temp, recordPath(config.dataDir, checkId));
  } catch (error) {
    removeCheck(config.dataDir, checkId, record);
    throw error;
  }
  const { file: _file, label: _label, ...check } = record;
  return check;
}

/** Removes a check and its file (the owner cancelled). False when there was none. */
export function cancelMomentCheck(config: Config, checkId: string): boolean {
  const record = readRecord(config.dataDir, checkId);
  if (!record || inUse.has(checkId)) return false;
  removeCheck(config.dataDir, checkId, record);
  return true;
}

const EXPIRED_ADVICE = "Check the moment again, then confirm within the time the check is kept.";

/**
 * The verified file of a check, for the install, which must call the returned release() when
 * done (the copy is then gone: installed, or discarded by the failed install). An unknown or
 * expired check is refused with what to do.
 */
export function claimMomentCheck(
  config: Config,
  checkId: string,
): { prepared: PreparedRestore; check: MomentCheck; release: () => void } {
  const record = readRecord(config.dataDir, checkId);
  if (!record || inUse.has(checkId)) {
    throw new MomentCheckError(
      "not_found",
      `There is no checked moment ${checkId} (cancelled, expired, already restored, or the server restarted). ${EXPIRED_ADVICE}`,
    );
  }
  const file = path.join(/* turbopackIgnore: true */ config.dataDir, record.file);
  if (Date.parse(record.expiresAt) <= Date.now() || !existsSync(/* turbopackIgnore: true */ file)) {
    removeCheck(config.dataDir, checkId, record);
    throw new MomentCheckError("not_found", `The check of ${record.moment} expired and was removed. ${EXPIRED_ADVICE}`);
  }
  inUse.add(checkId);
  const { file: _file, label, integrityBy, ...check } = record;
  return {
    // Hashed, checked and verified at the check: the install does none of it again.
    prepared: {
      source: file,
      temp: file,
      verification: record.verification,
      label,
      phasesMs: { copyMs: 0, checkMs: 0, verifyMs: 0 },
      integrityBy: integrityBy ?? "integrity_check at the check of the moment",
    },
    check,
    release: () => {
      removeCheck(config.dataDir, checkId, record);
      inUse.delete(checkId);
    },
  };
}

/**
 * The checked copy of a moment, for a comparison to read (never to write): its path, what to call
 * it, and release(), to call once the comparison ends. Until then the sweeper leaves the check
 * alone even past its expiry (it goes at the first sweep after), and a cancel or an install
 * removes the check at once but its file only after release(). An unknown, expired or installing
 * check is refused with what to do.
 */
export function readMomentCheck(
  config: Config,
  checkId: string,
): { path: string; label: string; moment: string; release: () => void } {
  const record = readRecord(config.dataDir, checkId);
  if (!record || inUse.has(checkId)) {
    throw new MomentCheckError(
      "not_found",
      `There is no checked moment ${checkId} (cancelled, expired, already restored, or the server restarted). Check the moment again, then compare it.`,
    );
  }
  const file = path.join(/* turbopackIgnore: true */ config.dataDir, record.file);
  if (Date.parse(record.expiresAt) <= Date.now() || !existsSync(/* turbopackIgnore: true */ file)) {
    removeCheck(config.dataDir, checkId, record);
    throw new MomentCheckError(
      "not_found",
      `The check of ${record.moment} expired and was removed. Check the moment again, then compare it.`,
    );
  }
  const all = readers();
  const reading = all.get(checkId) ?? { count: 0, discard: null };
  reading.count++;
  all.set(checkId, reading);
  let released = false;
  return {
    path: file,
    label: record.label,
    moment: record.moment,
    release: () => {
      if (released) return;
      released = true;
      if (--reading.count > 0) return;
      all.delete(checkId);
      reading.discard?.();
    },
  };
}

/** Removes every expired check (and a record whose file is gone). Returns the check ids removed. */
export function sweepExpiredMomentChecks(config: Config, now: number = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(/* turbopackIgnore: true */ config.dataDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(RECORD_PREFIX) || !name.endsWith(".json")) continue;
    const checkId = name.slice(RECORD_PREFIX.length, -".json".length);
    if (!CHECK_ID.test(checkId) || inUse.has(checkId) || readers().has(checkId)) continue;
    const record = readRecord(config.dataDir, checkId);
    if (record && Date.parse(record.expiresAt) > now) continue;
    removeCheck(config.dataDir, checkId, record);
    removed.push(checkId);
  }
  return removed;
}

let sweeper: NodeJS.Timeout | null = null;

/** Removes expired checks while the server runs (start-up removes whatever a stop left). */
export const momentCheckSweeperService: Service = {
  name: "restore-check sweeper",
  start(config) {
    if (sweeper) return;
    sweeper = setInterval(
      () => sweepExpiredMomentChecks(config),
      Math.max(1000, Math.min(SWEEP_EVERY_MS, momentCheckTtlMs(config) / 4)),
    );
    sweeper.unref();
  },
  stop() {
    if (sweeper) clearInterval(sweeper);
    sweeper = null;
  },
};
