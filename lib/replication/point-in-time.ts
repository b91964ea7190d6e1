// Point-in-time restore, first half: `litestream restore -timestamp` from the replica into a
// temp file in the data dir. The second half is every restore's own (lib/backup/restore.ts:
// verify, lease or data-dir lock, pre-restore copy, swap), which the CLI and the console call
// with this file.
import { execFile } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import type { Config } from "../config";
import { KnownError } from "../errors";
import { ensureDir } from "../backup/files";
import { startUrgentWorkersAhead } from "../backup/worker";
import { assertIdentityMatches, parseIdentity } from "../offsite/age";
import { litestreamBinary } from "./binary";
import {
  LITESTREAM_CONFIG_FILE,
  prepareLitestream,
  type LitestreamSetup,
  type ReplicaDescription,
} from "./litestream-config";
import { litestreamFailureOf, readReplicaGenerations, type ReplicaGeneration } from "./status";
import { describeReplica } from "./supervisor";

const execFileAsync = promisify(execFile);
const RESTORE_TIMEOUT_MS = 60 * 60 * 1000;

export class PointInTimeError extends KnownError {
  override name = "PointInTimeError";
  constructor(message: string) {
    super("invalid", "restore_refused", message);
  }
}

/** "latest", or an ISO 8601 time with its zone (Z or ±hh:mm): a moment must not depend on where it is read. */
export function parseRestoreMoment(text: string): Date | "latest" {
  const value = text.trim();
  if (value === "latest") return "latest";
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  const at = new Date(value);
  if (!iso.test(value) || Number.isNaN(at.getTime())) {
    throw new PointInTimeError(
      `"${text}" is not a moment to restore to: give an ISO 8601 time with its zone, such as 2026-11-27T06:30:00Z or 2026-11-27T07:30:00+01:00 (or "latest").`,
    );
  }
  if (at.getTime() > Date.now() + 1000) throw new PointInTimeError(`${at.toISOString()} is in the future.`);
  return at;
}

/** Said when the file Litestream restored for a moment fails verification. */
export const REPLICA_REFUSAL_ADVICE =
  "Litestream restored that moment, but the file it wrote failed the check: try a moment a few seconds earlier or later, or restore a stored backup.";

export type ReplicaRestore = {
  /** The restored database (a temp name in the data dir); the caller restores it, then discards it. */
  file: string;
  /**
   * The exact moment restored (ISO, UTC), or "latest": the moment asked for, or for SFTP and S3
   * replicas (whole-second file times) the whole second at or before it.
   */
  moment: string;
  /** The moment asked for (ISO, UTC), or "latest". */
  requested: string;
  replica: ReplicaDescription;
  replicaLabel: string;
  generation: ReplicaGeneration | null;
};

function windowText(generations: ReplicaGeneration[]): string {
  return generations.map((g) => `${g.start} – ${g.end} (generation ${g.generation})`).join("; ");
}

/**
 * Restores the replica as it was at `at` into a new temp file in the data dir. The Litestream
 * configuration is the running server's, or (server stopped, data dir lost) written anew from
 * the same settings.
 */
export async function restoreReplicaToTemp(
  config: Config,
  at: Date | "latest",
  options: { identityText?: string | null } = {},
): Promise<ReplicaRestore> {
  if (config.replication.replica === "off") {
    throw new PointInTimeError(
      "Replication is off (OPSTAGE_REPLICATION), so there is no replica to restore from. Set the same OPSTAGE_REPLICATION_* values the server replicated with.",
    );
  }
  ensureDir(config.dataDir);
  // The offsite target saved in the console is read only when the database is there to read.
  const setup = await prepareLitestream(config, {
    useDatabase: existsSync(/* turbopackIgnore: true */ config.databasePath),
    configPath: path.join(/* turbopackIgnore: true */ config.dataDir, LITESTREAM_CONFIG_FILE),
  });
  if (!setup) throw new PointInTimeError("Replication is off; nothing to restore from.");
  const label = describeReplica(setup.replica);
  let generations: ReplicaGeneration[];
  try {
    generations = await listGenerations(config, setup);
  } catch (error) {
    throw new PointInTimeError(`Could not read the replica at ${label}: ${litestreamFailureOf(error)}`);
  }
  if (generations.length === 0) throw new PointInTimeError(`The replica at ${label} holds nothing to restore.`);
  const given = await replicaIdentity(setup.recipient, options.identityText ?? null);
  // Litestream v0.3 dates each uploaded WAL segment by the file's modification time on the
  // replica, and restores the segments dated at or before the moment. A folder keeps that time to
  // the nanosecond; SFTP and S3 give whole seconds, which would let in a segment written up to a
  // second after the moment. There the restore is to the whole second at or before the moment
  // (segments dated before it, so written before it) and the report names that second.
  const effective =
    at === "latest" || setup.replica.type === "file" ? at : new Date(Math.floor(at.getTime() / 1000) * 1000);
  const moment = effective === "latest" ? "latest" : effective.toISOString();
  const litestreamMoment =
    effective === "latest" || setup.replica.type === "file" ? moment : new Date(effective.getTime() - 1).toISOString();
  const file = path.join(/* turbopackIgnore: true */ config.dataDir, `.tmp-pitr-${randomBytes(4).toString("hex")}.db`);
  const restore = (configPath: string) => {
    const args = ["restore", "-config", configPath, "-o", file];
    if (effective !== "latest") args.push("-timestamp", litestreamMoment);
    args.push(config.databasePath);
    return execFileAsync(/* turbopackIgnore: true */ litestreamBinary(), args, {
      timeout: RESTORE_TIMEOUT_MS,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        NODE_ENV: process.env.NODE_ENV,
        ...setup.env,
      } as NodeJS.ProcessEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
  };
  // What follows is the check of the moment: its threads start while Litestream writes it.
  startUrgentWorkersAhead();
  try {
    if (given) await restoreWithIdentity(config, given.identity, restore, () => discardReplicaRestore(file));
    else await restore(setup.configPath);
  } catch (error) {
    discardReplicaRestore(file);
    // Litestream logs (JSON lines, as litestream.yml says) to standard output.
    const failure = error as { stdout?: string; stderr?: string };
    const output = `${failure.stdout ?? ""}\n${failure.stderr ?? ""}`;
    if (/no matching backups/.test(output)) {
      throw new PointInTimeError(
        `The replica has no data for ${moment}. It can restore moments within: ${windowText(generations)}. Nothing was changed.`,
      );
    }
    if (given?.mismatch) throw new PointInTimeError(`${given.mismatch} Nothing was changed.`);
    // Without the identity, Litestream reads age's ciphertext as if it were its lz4 frames.
    if (!given && /lz4: bad magic number/.test(output)) {
      throw new PointInTimeError(
        `The replica at ${label} is encrypted with age and no identity was given: ${IDENTITY_ADVICE} Nothing was changed.`,
      );
    }
    throw new PointInTimeError(
      `Litestream could not restore ${moment} from ${label}: ${litestreamFailureOf(error)}. Nothing was changed.`,
    );
  }
  const generation =
    at === "latest"
      ? ([...generations].sort((a, b) => a.end.localeCompare(b.end)).at(-1) ?? null)
      : (generations.find((g) => Date.parse(g.start) <= at.getTime() && at.getTime() < Date.parse(g.end) + 1000) ??
        null);
  return {
    file,
    moment,
    requested: at === "latest" ? "latest" : at.toISOString(),
    replica: setup.replica,
    replicaLabel: label,
    generation,
  };
}

const IDENTITY_ADVICE =
  "give its age identity (the AGE-SECRET-KEY-1… line age-keygen wrote): `opstage restore --at TIME --identity-file FILE`, or paste it into the identity field of Settings → Replication.";

/**
 * The identity to decrypt with, checked: none given for an encrypted replica is refused before
 * anything runs. One that is not the current recipient's key is still tried (older generations
 * may be encrypted to a recipient since replaced); if the restore fails, that is named as the
 * likely reason.
 */
async function replicaIdentity(
  recipient: string | null,
  identityText: string | null,
): Promise<{ identity: string; mismatch: string | null } | null> {
  if (!identityText?.trim()) {
    if (recipient) {
      throw new PointInTimeError(`The replica is encrypted to ${recipient}: ${IDENTITY_ADVICE} Nothing was changed.`);
    }
    return null;
  }
  let identity: string;
  try {
    identity = parseIdentity(identityText);
  } catch (error) {
    throw new PointInTimeError(`${(error as Error).message} Nothing was changed.`);
  }
  let mismatch: string | null = null;
  if (recipient) {
    await assertIdentityMatches(identity, recipient, "the replica").catch((error: unknown) => {
      mismatch = (error as Error).message;
    });
  }
  return { identity, mismatch };
}

/**
 * Litestream with the identity in a temp copy of its configuration (mode 0600, in the data dir,
 * removed whatever happens): the identity is never in litestream.yml. A generation written before
 * encryption was switched on is plaintext, which the identity cannot read: on a failure the
 * restore is tried once more without it, and the first failure is reported if that fails too.
 */
async function restoreWithIdentity(
  config: Config,
  identity: string,
  restore: (configPath: string) => Promise<unknown>,
  discard: () => void,
): Promise<void> {
  const configPath = path.join(
    /* turbopackIgnore: true */ config.dataDir,
    `.tmp-pitr-identity-${randomBytes(4).toString("hex")}.yml`,
  );
  try {
    await prepareLitestream(config, {
      useDatabase: existsSync(/* turbopackIgnore: true */ config.databasePath),
      configPath,
      identity,
    });
    await restore(configPath);
    return;
  } catch (error) {
    discard();
    const plain = await prepareLitestream(config, {
      useDatabase: existsSync(/* turbopackIgnore: true */ config.databasePath),
      configPath,
    });
    try {
      if (plain) await restore(plain.configPath);
      else throw error;
    } catch {
      throw error;
    }
  } finally {
    rmSync(/* turbopackIgnore: true */ configPath, { force: true });
  }
}

// `litestream generations` needs the database file to exist (it reports the lag against its
// modification time). When the data dir was lost, it is asked about an empty stand-in file.
async function listGenerations(config: Config, setup: LitestreamSetup): Promise<ReplicaGeneration[]> {
  if (existsSync(/* turbopackIgnore: true */ config.databasePath))
    return readReplicaGenerations(setup.configPath, config.databasePath, setup.env);
  const standIn = path.join(
    /* turbopackIgnore: true */ config.dataDir,
    `.tmp-pitr-stand-in-${randomBytes(4).toString("hex")}.db`,
  );
  const standInConfig = `${standIn}.yml`;
  try {
    writeFileSync(/* turbopackIgnore: true */ standIn, "");
    await prepareLitestream(config, { useDatabase: false, configPath: standInConfig, databasePath: standIn });
    return await readReplicaGenerations(standInConfig, standIn, setup.env);
  } finally {
    rmSync(/* turbopackIgnore: true */ standIn, { force: true });
    rmSync(/* turbopackIgnore: true */ standInConfig, { force: true });
  }
}

/** Removes the restored temp file and whatever SQLite or Litestream left beside it. */
export function discardReplicaRestore(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal", ".tmp", ".tmp-wal", ".tmp-shm"]) {
    rmSync(/* turbopackIgnore: true */ `${file}${suffix}`, { force: true });
  }
}
