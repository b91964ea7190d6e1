// Litestream's configuration (litestream.yml in the data dir), generated from the server's
// settings at each start of Litestream: one database (opstage.db), one replica. Secrets never go
// into the file: the S3 keys reach Litestream as LITESTREAM_ACCESS_KEY_ID / _SECRET_ACCESS_KEY in
// its environment. JSON strings are valid YAML scalars, so every value is written with
// JSON.stringify and no value can break the file's structure.
//
// With an age recipient (OPSTAGE_REPLICATION_AGE_RECIPIENT, else the offsite target's), Litestream
// encrypts every snapshot and WAL segment it uploads to it (v0.3's `age` replica setting; v0.5
// removed it). The identity that decrypts is never in litestream.yml: a restore writes it into a
// temp copy of the file for that one run (point-in-time.ts).
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { loadOffsiteTarget, type OffsiteTarget } from "../offsite/target";

export const LITESTREAM_CONFIG_FILE = "litestream.yml";

/** Where the replica is, as the status page and the restore name it (no secrets). */
export type ReplicaDescription =
  | { type: "file"; path: string }
  | { type: "sftp"; host: string; port: number; user: string; path: string }
  | { type: "s3"; endpoint: string | null; bucket: string; path: string };

export type LitestreamSetup = {
  configPath: string;
  replica: ReplicaDescription;
  /** The age recipient the replica is encrypted to; null: plaintext. */
  recipient: string | null;
  /** Extra environment for the litestream process (S3 keys). */
  env: Record<string, string>;
  yaml: string;
};

export class ReplicationConfigError extends Error {
  override name = "ReplicationConfigError";
}

type ResolvedReplica = {
  replica: ReplicaDescription;
  lines: string[];
  env: Record<string, string>;
  recipient: string | null;
};

/**
 * The replica, its secrets and its age recipient from the configuration (S3: the offsite target's
 * bucket and keys).
 */
export async function resolveReplica(
  config: Config,
  options: { useDatabase?: boolean } = {},
): Promise<ResolvedReplica | null> {
  const settings = config.replication;
  if (settings.replica === "off") return null;
  const useDatabase = options.useDatabase ?? true;
  let target: OffsiteTarget | null = null;
  if (settings.replica === "s3") target = await loadOffsiteTarget(config, useDatabase);
  else if (!settings.recipient) {
    // A folder or SFTP replica only borrows the offsite recipient: an offsite target that cannot
    // be read (the console shows why) must not stop replication.
    target = await loadOffsiteTarget(config, useDatabase).catch(() => null);
  }
  return { ...replicaOf(config, target), recipient: settings.recipient ?? target?.recipient ?? null };
}

function replicaOf(config: Config, target: OffsiteTarget | null): Omit<ResolvedReplica, "recipient"> {
  const settings = config.replication;
  const q = (value: string | number | boolean) => JSON.stringify(value);
  if (settings.replica === "file") {
    const folder = settings.path!;
    return { replica: { type: "file", path: folder }, lines: [`type: file`, `path: ${q(folder)}`], env: {} };
  }
  if (settings.replica === "sftp") {
    const sftp = settings.sftp!;
    const host = sftp.host.includes(":") && !sftp.host.startsWith("[") ? `[${sftp.host}]` : sftp.host;
    return {
      replica: { type: "sftp", host: sftp.host, port: sftp.port, user: sftp.user, path: settings.path! },
      lines: [
        `type: sftp`,
        `host: ${q(`${host}:${sftp.port}`)}`,
        `user: ${q(sftp.user)}`,
        `key-path: ${q(sftp.keyPath)}`,
        `path: ${q(settings.path!)}`,
      ],
      env: {},
    };
  }
  if (!target) {
    throw new ReplicationConfigError(
      "OPSTAGE_REPLICATION=s3 replicates into the offsite bucket, but no offsite target is configured: " +
        "set it in Settings → Backups → Offsite or with the OPSTAGE_OFFSITE_* variables.",
    );
  }
  const prefix = settings.path ?? [target.prefix, "replica"].filter(Boolean).join("/");
  const lines = [
    `type: s3`,
    `bucket: ${q(target.bucket)}`,
    `path: ${q(prefix)}`,
    `region: ${q(target.region)}`,
    `force-path-style: ${q(target.pathStyle)}`,
  ];
  if (target.endpoint) lines.push(`endpoint: ${q(target.endpoint)}`);
  return {
    replica: { type: "s3", endpoint: target.endpoint, bucket: target.bucket, path: prefix },
    lines,
    env: { LITESTREAM_ACCESS_KEY_ID: target.accessKeyId, LITESTREAM_SECRET_ACCESS_KEY: target.secretAccessKey },
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (config.ts DURATION_PATTERN: one number, one unit) in milliseconds. */
export function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new ReplicationConfigError(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

// Looking for new WAL frames costs Litestream a few stat() and read() calls: every 250 ms at most,
// so that the delay to the replica is the sync interval plus a quarter second.
function monitorInterval(syncInterval: string): string {
  return `${Math.min(durationMs(syncInterval), 250)}ms`;
}

/** The replica's `age` lines: the recipient it encrypts to, and (a restore only) the identity. */
export function ageLines(recipient: string | null, identity: string | null = null): string[] {
  const q = JSON.stringify;
  if (!recipient && !identity) return [];
  return [
    "age:",
    ...(recipient ? ["  recipients:", `    - ${q(recipient)}`] : []),
    ...(identity ? ["  identities:", `    - ${q(identity)}`] : []),
  ];
}

/** The YAML text for the database and its replica. */
export function litestreamYaml(config: Config, replicaLines: string[], databasePath = config.databasePath): string {
  const settings = config.replication;
  const q = JSON.stringify;
  return [
    "# Written by Opstage at each start of Litestream; edits are overwritten (set OPSTAGE_REPLICATION_*).",
    "logging:",
    "  level: info",
    "  type: json",
    "dbs:",
    `  - path: ${q(databasePath)}`,
    // How often Litestream copies new WAL frames into its shadow WAL; the replica uploads what
    // is new every sync-interval. A commit reaches the replica within the sum of the two.
    `    monitor-interval: ${q(monitorInterval(settings.syncInterval))}`,
    "    replicas:",
    `      - name: ${q("replica")}`,
    ...replicaLines.map((line) => `        ${line}`),
    `        sync-interval: ${q(settings.syncInterval)}`,
    `        snapshot-interval: ${q(settings.snapshotInterval)}`,
    `        retention: ${q(settings.retention)}`,
    "",
  ].join("\n");
}

/** Writes the file under a temp name, fsyncs it and renames it into place (mode 0600). */
export function writeFileAtomically(file: string, text: string): void {
  const temp = path.join(
    /* turbopackIgnore: true */ path.dirname(/* turbopackIgnore: true */ file),
    `.tmp-${path.basename(/* turbopackIgnore: true */ file)}.${process.pid}`,
  );
  const fd = openSync(/* turbopackIgnore: true */ temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(/* turbopackIgnore: true */ temp, file);
  const dir = openSync(/* turbopackIgnore: true */ path.dirname(/* turbopackIgnore: true */ file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Resolves the replica and writes litestream.yml into the data dir; null when replication is off. */
export async function prepareLitestream(
  config: Config,
  options: { useDatabase?: boolean; configPath?: string; databasePath?: string; identity?: string | null } = {},
): Promise<LitestreamSetup | null> {
  const resolved = await resolveReplica(config, options);
  if (!resolved) return null;
  const configPath =
    options.configPath ?? path.join(/* turbopackIgnore: true */ config.dataDir, LITESTREAM_CONFIG_FILE);
  const lines = [...resolved.lines, ...ageLines(resolved.recipient, options.identity ?? null)];
  const yaml = litestreamYaml(config, lines, options.databasePath);
  writeFileAtomically(configPath, yaml);
  return { configPath, replica: resolved.replica, recipient: resolved.recipient, env: resolved.env, yaml };
}
