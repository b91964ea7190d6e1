// Replication's state in one shape, for Settings → Replication, Diagnostics and the health
// details (and for anything that wants to act on replication errors later): what the supervisor
// knows (running, restarts, the warnings and errors Litestream logged) and, when asked, what the
// replica holds — its generations and their time span, which is the window a point-in-time
// restore can reach — read with `litestream generations`.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Config } from "../config";
import { litestreamBinary, litestreamVersion } from "./binary";
import {
  describeReplica,
  litestreamEnv,
  supervisorSnapshot,
  type ReplicaEncryption,
  type ReplicationEvent,
} from "./supervisor";
import type { ReplicaDescription } from "./litestream-config";

const execFileAsync = promisify(execFile);
const GENERATIONS_TIMEOUT_MS = 20_000;

export type ReplicaGeneration = {
  generation: string;
  /** Database change time minus the replica's newest data, as Litestream computes it. */
  lag: string;
  start: string;
  end: string;
};

export type ReplicationStatus = {
  enabled: boolean;
  replicaType: Config["replication"]["replica"];
  replica: ReplicaDescription | null;
  replicaLabel: string;
  /**
   * The age recipient Litestream encrypts the replica to (null: plaintext), and since when: older
   * generations were written as they were then.
   */
  encryption: ReplicaEncryption | null;
  /** "encrypted to age1…" or "not encrypted", as the Replication page says it. */
  encryptionLabel: string;
  litestream: { version: string | null; error: string | null };
  syncInterval: string;
  snapshotInterval: string;
  retention: string;
  running: boolean;
  pid: number | null;
  startedAt: string | null;
  starts: number;
  lastExit: { at: string; code: number | null; signal: string | null } | null;
  /** A configuration that keeps Litestream from starting at all. */
  setupError: string | null;
  /** Newest last. */
  events: ReplicationEvent[];
  /** Generations Litestream started since this server started (each a full snapshot upload). */
  generationsStarted: number;
  /** When Litestream last uploaded to the replica (else the replica's newest data), ISO. */
  lastSync: string | null;
  /** Read from the replica when asked (includeReplica); null when not asked or not readable. */
  generations: ReplicaGeneration[] | null;
  /** The restorable window: the current generation's first and last moment. */
  window: { from: string; to: string } | null;
  /** The replica's newest data behind the database's last change, as Litestream computes it. */
  lag: string | null;
  lastError: ReplicationEvent | null;
  replicaError: string | null;
  /** ok: running, no error since the last upload; error: something to look at (lastError, setupError, replicaError). */
  state: "off" | "ok" | "starting" | "error";
};

/** `litestream generations` for the configured database, parsed (its table: name generation lag start end). */
export async function readReplicaGenerations(
  configPath: string,
  databasePath: string,
  env: Record<string, string> = {},
): Promise<ReplicaGeneration[]> {
  const { stdout } = await execFileAsync(
    /* turbopackIgnore: true */ litestreamBinary(),
    ["generations", "-config", configPath, databasePath],
    {
      timeout: GENERATIONS_TIMEOUT_MS,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        NODE_ENV: process.env.NODE_ENV,
        ...env,
      } as NodeJS.ProcessEnv,
    },
  );
  return stdout
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 5)
    .map(([, generation, lag, start, end]) => ({ generation: generation!, lag: lag!, start: start!, end: end! }));
}

/**
 * The one place replication's state is read. Fast and local (no I/O but reading the supervisor's
 * memory) unless includeReplica, which lists the replica: a few file reads, an SFTP session or an
 * S3 listing. Never throws.
 */
export async function replicationStatus(
  config: Config,
  options: { includeReplica?: boolean } = {},
): Promise<ReplicationStatus> {
  const supervisor = supervisorSnapshot();
  let generations: ReplicaGeneration[] | null = null;
  let replicaError: string | null = null;
  if (options.includeReplica && config.replication.replica !== "off" && supervisor.configPath) {
    try {
      generations = await readReplicaGenerations(supervisor.configPath, config.databasePath, litestreamEnv());
    } catch (error) {
      replicaError = litestreamFailureOf(error);
    }
  }
  return assembleStatus(config, supervisor, generations, replicaError);
}

/** The same without reading the replica: for the health details and Diagnostics (synchronous). */
export function localReplicationStatus(config: Config): ReplicationStatus {
  return assembleStatus(config, supervisorSnapshot(), null, null);
}

function assembleStatus(
  config: Config,
  supervisor: ReturnType<typeof supervisorSnapshot>,
  generations: ReplicaGeneration[] | null,
  replicaError: string | null,
): ReplicationStatus {
  const settings = config.replication;
  const version = settings.replica === "off" ? { version: null, error: null } : litestreamVersion();
  // The current generation is the one written last.
  const current = generations?.length ? [...generations].sort((a, b) => a.end.localeCompare(b.end)).at(-1)! : null;
  // The last upload Litestream reported; else (a server that has not uploaded since it started)
  // the newest data in the replica.
  const lastSync = supervisor.lastUploadAt ?? current?.end ?? null;
  const lastError = [...supervisor.events].reverse().find((event) => event.level === "error") ?? null;
  // An error counts until an upload succeeds after it: Litestream retries at every sync, and a
  // passing one (its checkpoint meeting a busy writer) is followed by an upload a second later.
  const errorIsCurrent = lastError !== null && (lastSync === null || Date.parse(lastError.at) > Date.parse(lastSync));
  let state: ReplicationStatus["state"];
  if (settings.replica === "off") state = "off";
  else if (supervisor.setupError || replicaError || version.error || errorIsCurrent) state = "error";
  else if (!supervisor.running) state = "starting";
  else state = "ok";
  return {
    enabled: settings.replica !== "off",
    replicaType: settings.replica,
    replica: supervisor.replica,
    replicaLabel: describeReplica(supervisor.replica),
    encryption: supervisor.encryption,
    encryptionLabel: describeEncryption(supervisor.encryption),
    litestream: { version: version.version, error: version.error },
    syncInterval: settings.syncInterval,
    snapshotInterval: settings.snapshotInterval,
    retention: settings.retention,
    running: supervisor.running,
    pid: supervisor.pid,
    startedAt: supervisor.startedAt,
    starts: supervisor.starts,
    lastExit: supervisor.lastExit,
    setupError: supervisor.setupError,
    events: supervisor.events,
    generationsStarted: supervisor.generationsStarted.length,
    generations,
    window: current ? { from: current.start, to: current.end } : null,
    lastSync,
    lag: current?.lag ?? null,
    lastError,
    replicaError,
    state,
  };
}

export function describeEncryption(encryption: ReplicaEncryption | null): string {
  if (!encryption) return "unknown until Litestream starts";
  if (!encryption.recipient) {
    return "not encrypted: anyone who can read the replica reads the database (set OPSTAGE_REPLICATION_AGE_RECIPIENT or an offsite recipient)";
  }
  return `encrypted to ${encryption.recipient} since ${encryption.since} (generations written before then are as they were written)`;
}

/** Why a litestream command failed: the last ERROR record of its JSON log output, else its message. */
export function litestreamFailureOf(error: unknown): string {
  const failure = error as { stdout?: string; stderr?: string; message?: string };
  let found: string | null = null;
  for (const line of `${failure.stdout ?? ""}\n${failure.stderr ?? ""}`.split("\n")) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (record.level === "ERROR") found = record.error ?? record.msg ?? found;
    } catch {
      found = line.trim();
    }
  }
  return found ?? (failure.message ?? String(error)).split("\n")[0]!;
}
