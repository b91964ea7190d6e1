// Environment → typed configuration. This module is the only reader of process.env for Opstage's
// own settings; everything else receives a Config. A bad or missing value stops start-up with one
// line that names the variable (see loadConfig).
import { realpathSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import type { LogFormat, LogLevel } from "./log";
import { CRON_OR_OFF_RULE, KEEP_RULE } from "./schedule-rules";

const DEFAULT_DATA_DIR = "/app/data";

// Durations as Litestream (Go) reads them: a whole number and one unit.
const DURATION_PATTERN = /^[1-9][0-9]{0,6}(ms|s|m|h)$/;

const portSchema = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

const envSchema = z.object({
  OPSTAGE_DATA_DIR: z.string().min(1, "must not be empty").default(DEFAULT_DATA_DIR),
  OPSTAGE_BACKUP_DIR: z.string().min(1, "must not be empty").optional(),
  OPSTAGE_HOST: z.string().min(1, "must not be empty").default("0.0.0.0"),
  OPSTAGE_PORT: portSchema.default(8080),
  OPSTAGE_PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://opstage.example.com" })
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  OPSTAGE_SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  OPSTAGE_SESSION_TTL_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds")
    .max(60 * 60 * 24 * 30, "must be at most 30 days")
    .default(28800),
  // Who must sign in with a second factor (TOTP): nobody, owners, or every user.
  OPSTAGE_REQUIRE_2FA: z.enum(["off", "owners", "all"], { error: "must be off, owners or all" }).default("off"),
  OPSTAGE_BACKUP_SCHEDULE: CRON_OR_OFF_RULE.optional(),
  OPSTAGE_BACKUP_KEEP: z.coerce.number({ error: "must be a number" }).pipe(KEEP_RULE).default(10),
  OPSTAGE_ADMIN_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{3,64}$/, "must be 3-64 characters of letters, digits, . _ -")
    .optional(),
  OPSTAGE_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  // The reverse proxies whose X-Forwarded-For is believed: their addresses, comma-separated.
  OPSTAGE_TRUST_PROXY: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .refine(
      (addresses) => addresses.length > 0 && addresses.every((address) => isIP(address) !== 0),
      "must be the IP addresses of your reverse proxies, comma-separated (e.g. `127.0.0.1,::1`)",
    )
    .optional(),
  OPSTAGE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPSTAGE_LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  // The offsite target (lib/offsite): each one set here wins over the value saved in the console.
  OPSTAGE_OFFSITE_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://s3.eu-central-1.amazonaws.com" })
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  OPSTAGE_OFFSITE_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, "must be a region name such as us-east-1")
    .optional(),
  OPSTAGE_OFFSITE_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens",
    )
    .optional(),
  OPSTAGE_OFFSITE_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/,
      "must be a key prefix of letters, digits, . _ - and / (e.g. opstage/prod)",
    )
    .optional(),
  OPSTAGE_OFFSITE_PATH_STYLE: z.enum(["true", "false"], { error: "must be true or false" }).optional(),
  OPSTAGE_OFFSITE_ACCESS_KEY_ID: z.string().max(256, "must be at most 256 characters").optional(),
  // Never echoed: the messages below are fixed text, so a ConfigError cannot carry the value.
  OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: z.string().max(1024, "must be at most 1024 characters").optional(),
  OPSTAGE_OFFSITE_AGE_RECIPIENT: z
    .string()
    .regex(
      /^age1[02-9ac-hj-np-z]{58}$/,
      "must be an age X25519 recipient (age1…, 62 characters; `age-keygen -y` prints it)",
    )
    .optional(),
  OPSTAGE_OFFSITE_KINDS: z
    .string()
    .regex(
      /^(none|(manual|scheduled|pre-upgrade)(,(manual|scheduled|pre-upgrade))*)$/,
      "must be a comma-separated list of manual, scheduled, pre-upgrade (or none)",
    )
    .optional(),
  OPSTAGE_OFFSITE_KEEP: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1000, "must be at most 1000")
    .optional(),
  OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(10, "must be at least 10")
    .max(600_000, "must be at most 600000")
    .default(2000),
  // Alerts and monitoring (lib/alerts, lib/system/backup-health.ts, /api/metrics).
  // Webhook and SMTP targets inside the network (loopback, private, link-local): refused unless true.
  OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: z.enum(["true", "false"], { error: "must be true or false" }).default("false"),
  // Pinged (GET) after each successful scheduled backup, <url>/fail after a failed one: the push
  // convention of healthchecks.io and Uptime Kuma, so a server that is gone is noticed by silence.
  OPSTAGE_HEARTBEAT_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://hc-ping.com/<uuid>" })
    .optional(),
  OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(10, "must be at least 10")
    .max(600_000, "must be at most 600000")
    .default(5000),
  OPSTAGE_BACKUP_HEALTH_CHECK_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1")
    .max(86_400, "must be at most 86400")
    .default(60),
  OPSTAGE_BACKUP_REVERIFY_HOURS: z.coerce
    .number({ error: "must be a number of hours" })
    .min(0.0001, "must be at least 0.0001 (a third of a second)")
    .max(24 * 30, "must be at most 720")
    .default(24),
  // Never echoed (fixed messages): a bearer token for GET /api/metrics besides owner API tokens.
  OPSTAGE_METRICS_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters")
    .max(256, "must be at most 256 characters")
    .optional(),
  // Continuous replication (lib/replication): Litestream, supervised by the server.
  OPSTAGE_REPLICATION: z.enum(["off", "file", "sftp", "s3"], { error: "must be off, file, sftp or s3" }).default("off"),
  // file: the replica folder (a mounted volume); sftp: the folder on the server; s3: the key
  // prefix inside the offsite bucket (default: the offsite prefix + /replica).
  OPSTAGE_REPLICATION_PATH: z.string().min(1, "must not be empty").optional(),
  OPSTAGE_REPLICATION_SFTP_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "must be a host name or IP address")
    .optional(),
  OPSTAGE_REPLICATION_SFTP_PORT: portSchema.default(22),
  OPSTAGE_REPLICATION_SFTP_USER: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a user name of letters, digits, . _ -")
    .optional(),
  OPSTAGE_REPLICATION_SFTP_KEY_PATH: z.string().min(1, "must not be empty").optional(),
  // The replica is encrypted to this age recipient (else to the offsite target's, when it has one).
  OPSTAGE_REPLICATION_AGE_RECIPIENT: z
    .string()
    .regex(
      /^age1[02-9ac-hj-np-z]{58}$/,
      "must be an age X25519 recipient (age1…, 62 characters; `age-keygen -y` prints it)",
    )
    .optional(),
  OPSTAGE_REPLICATION_SYNC_INTERVAL: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 1s, 500ms, 10s or 1m")
    .default("1s"),
  OPSTAGE_REPLICATION_SNAPSHOT_INTERVAL: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 24h or 6h")
    .default("24h"),
  // An upload of one WAL segment running longer than this is taken as hung (Litestream v0.3.13's
  // SFTP client can wait forever on a server that went away): Litestream is restarted.
  OPSTAGE_REPLICATION_UPLOAD_TIMEOUT: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 60s or 5m")
    .default("60s"),
  OPSTAGE_REPLICATION_RETENTION: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 72h or 168h")
    .default("72h"),
  // How long Litestream may keep failing without one upload before the replication alert goes
  // out: a busy writer makes it log a passing checkpoint error now and then, cleared by the next upload.
  OPSTAGE_REPLICATION_ALERT_AFTER: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 60s or 5m")
    .default("60s"),
  // How long a checked moment (Settings → Replication: restored into a temp file and verified)
  // waits for the owner's confirmation before its file is removed.
  OPSTAGE_RESTORE_CHECK_TTL: z
    .string()
    .regex(DURATION_PATTERN, "must be a duration such as 15m or 900s")
    .default("15m"),
  // What start-up does when the data folder holds no opstage.db: nothing (a new install), or bring
  // the database back from the newest offsite copy that verifies, or from the replica's latest moment.
  OPSTAGE_RESTORE_ON_EMPTY: z
    .enum(["off", "offsite", "replica"], { error: "must be off, offsite or replica" })
    .default("off"),
  // The age identity (AGE-SECRET-KEY-1… file) that decrypts offsite copies at a restore on an
  // empty start; read then, never stored. The replica's falls back to it.
  OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: z.string().min(1, "must not be empty").optional(),
  OPSTAGE_REPLICATION_AGE_IDENTITY_FILE: z.string().min(1, "must not be empty").optional(),
  // Fault injection for the restore tests only: the restore CLI kills itself after this step.
  OPSTAGE_TEST_RESTORE_CRASH_AT: z
    .enum(["after-verify", "after-snapshot", "after-copy", "after-wal", "after-rename"])
    .optional(),
  // Set at build time by next.config.mjs / scripts/build-cli.mjs when git is available.
  OPSTAGE_BUILD_COMMIT: z.string().optional(),
  OPSTAGE_BUILD_TIME: z.string().optional(),
});

export type Config = {
  dataDir: string;
  databasePath: string;
  backupDir: string;
  host: string;
  port: number;
  publicBaseUrl: string | undefined;
  sessionSecret: string;
  sessionTtlSeconds: number;
  /** OPSTAGE_REQUIRE_2FA: whose sign-ins need a second factor (they enrol before anything else). */
  requireTwoFactor: "off" | "owners" | "all";
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  /** Proxies whose X-Forwarded-For names the client (OPSTAGE_TRUST_PROXY); empty: none. */
  trustProxy: string[];
  /** First values of the backup schedule, used until an owner saves one in Settings. */
  backupSchedule: { cron: string | null; keep: number };
  build: { commit: string | undefined; time: string | undefined };
  /** JSON lines, or readable lines; unset: readable on a terminal, else JSON. */
  log: { level: LogLevel; format: LogFormat | undefined };
  testRestoreCrashAt: "after-verify" | "after-snapshot" | "after-copy" | "after-wal" | "after-rename" | undefined;
  /** Offsite target values set in the environment; each wins over the one saved in the console. */
  offsite: OffsiteEnvironment;
  monitoring: {
    /** First wait before retrying a failed alert delivery; doubles each attempt. */
    alertRetryFirstDelayMs: number;
    /** How often the backup health (overdue) is checked in the background. */
    healthCheckIntervalMs: number;
    /** How old the newest backup's last verification may get before it is verified again. */
    reverifyIntervalMs: number;
    /** OPSTAGE_METRICS_TOKEN: a bearer token that may read /api/metrics only. */
    metricsToken: string | undefined;
    /** OPSTAGE_HEARTBEAT_URL: pinged after each scheduled backup (<url>/fail when it failed). */
    heartbeatUrl: string | undefined;
    /** Whether alerts may go to loopback, private and link-local addresses (lib/alerts/target-address.ts). */
    allowPrivateAlertTargets: boolean;
  };
  /** Continuous replication with Litestream (OPSTAGE_REPLICATION_*). */
  replication: ReplicationEnvironment;
  /** OPSTAGE_RESTORE_ON_EMPTY and the identity files it may need (absolute paths). */
  restoreOnEmpty: RestoreOnEmptyEnvironment;
};

export type RestoreOnEmptyEnvironment = {
  /** Where a start with no opstage.db brings the database back from; "off": a new install. */
  source: "off" | "offsite" | "replica";
  /** OPSTAGE_OFFSITE_AGE_IDENTITY_FILE: decrypts encrypted offsite copies. */
  offsiteIdentityFile: string | undefined;
  /** OPSTAGE_REPLICATION_AGE_IDENTITY_FILE, else the offsite one: decrypts an encrypted replica. */
  replicaIdentityFile: string | undefined;
};

export type ReplicationEnvironment = {
  replica: "off" | "file" | "sftp" | "s3";
  /** file: the replica folder (absolute); sftp: the remote folder; s3: the key prefix (or undefined). */
  path: string | undefined;
  sftp: { host: string; port: number; user: string; keyPath: string } | undefined;
  /** age recipient the replica is encrypted to (OPSTAGE_REPLICATION_AGE_RECIPIENT); else the offsite one. */
  recipient: string | undefined;
  /** Go durations (1s, 24h), passed to Litestream as they are. */
  syncInterval: string;
  snapshotInterval: string;
  retention: string;
  uploadTimeout: string;
  alertAfter: string;
  /** How long a checked moment waits for confirmation (OPSTAGE_RESTORE_CHECK_TTL). */
  restoreCheckTtl: string;
};

export type OffsiteEnvironment = {
  endpoint?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  pathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  recipient?: string;
  kinds?: ("manual" | "scheduled" | "pre-upgrade")[];
  keepScheduled?: number;
  /** First wait before retrying a failed copy; doubles each attempt. */
  retryFirstDelayMs: number;
};

type Environment = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = "ConfigError";
  }
}

// Empty strings count as unset: `OPSTAGE_PUBLIC_BASE_URL=` in a compose file means "no value".
function nonEmpty(env: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith("OPSTAGE_") && value !== undefined && value !== "") out[key] = value;
  }
  return out;
}

/**
 * Who reads the configuration: the server needs the session secret; the operator CLI never signs
 * sessions and must work without it (e.g. `docker compose run --rm opstage node cli.mjs …`).
 */
export type ConfigConsumer = "server" | "cli";

/** Parses and validates the environment; throws ConfigError naming the first bad variable. */
export function parseConfig(env: Environment, consumer: ConfigConsumer = "server"): Config {
  const provided = nonEmpty(env);
  const result = envSchema.safeParse(provided);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const detail = variable in provided ? issue.message : "is required";
    throw new ConfigError(variable, detail);
  }
  const e = result.data;
  if (consumer === "server" && !e.OPSTAGE_SESSION_SECRET) {
    throw new ConfigError(
      "OPSTAGE_SESSION_SECRET",
      "is required: 32+ random characters that sign session cookies (e.g. `openssl rand -base64 48`)",
    );
  }
  // turbopackIgnore: these are run-time paths; without the hint Next's file tracer copies the
  // whole project into the standalone output.
  const dataDir = path.resolve(/*turbopackIgnore: true*/ e.OPSTAGE_DATA_DIR);
  if (e.OPSTAGE_ADMIN_PASSWORD && !e.OPSTAGE_ADMIN_USERNAME) {
    throw new ConfigError("OPSTAGE_ADMIN_USERNAME", "is required when OPSTAGE_ADMIN_PASSWORD is set");
  }
  const config: Config = {
    dataDir,
    databasePath: path.join(/*turbopackIgnore: true*/ dataDir, "opstage.db"),
    backupDir: path.resolve(
      /*turbopackIgnore: true*/ e.OPSTAGE_BACKUP_DIR ?? path.join(/*turbopackIgnore: true*/ dataDir, "backups"),
    ),
    host: e.OPSTAGE_HOST,
    port: e.OPSTAGE_PORT,
    publicBaseUrl: e.OPSTAGE_PUBLIC_BASE_URL,
    sessionSecret: e.OPSTAGE_SESSION_SECRET ?? "",
    sessionTtlSeconds: e.OPSTAGE_SESSION_TTL_SECONDS,
    requireTwoFactor: e.OPSTAGE_REQUIRE_2FA,
    adminUsername: e.OPSTAGE_ADMIN_USERNAME,
    adminPassword: e.OPSTAGE_ADMIN_PASSWORD,
    trustProxy: e.OPSTAGE_TRUST_PROXY ?? [],
    backupSchedule: {
      cron: e.OPSTAGE_BACKUP_SCHEDULE ?? null,
      keep: e.OPSTAGE_BACKUP_KEEP,
    },
    build: { commit: e.OPSTAGE_BUILD_COMMIT, time: e.OPSTAGE_BUILD_TIME },
    log: { level: e.OPSTAGE_LOG_LEVEL, format: e.OPSTAGE_LOG_FORMAT },
    testRestoreCrashAt: e.OPSTAGE_TEST_RESTORE_CRASH_AT,
    monitoring: {
      alertRetryFirstDelayMs: e.OPSTAGE_ALERT_RETRY_FIRST_DELAY_MS,
      healthCheckIntervalMs: e.OPSTAGE_BACKUP_HEALTH_CHECK_SECONDS * 1000,
      reverifyIntervalMs: Math.round(e.OPSTAGE_BACKUP_REVERIFY_HOURS * 3_600_000),
      metricsToken: e.OPSTAGE_METRICS_TOKEN,
      heartbeatUrl: e.OPSTAGE_HEARTBEAT_URL,
      allowPrivateAlertTargets: e.OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS === "true",
    },
    offsite: {
      endpoint: e.OPSTAGE_OFFSITE_ENDPOINT,
      region: e.OPSTAGE_OFFSITE_REGION,
      bucket: e.OPSTAGE_OFFSITE_BUCKET,
      prefix: e.OPSTAGE_OFFSITE_PREFIX?.replace(/\/+$/, ""),
      pathStyle: e.OPSTAGE_OFFSITE_PATH_STYLE === undefined ? undefined : e.OPSTAGE_OFFSITE_PATH_STYLE === "true",
      accessKeyId: e.OPSTAGE_OFFSITE_ACCESS_KEY_ID,
      secretAccessKey: e.OPSTAGE_OFFSITE_SECRET_ACCESS_KEY,
      recipient: e.OPSTAGE_OFFSITE_AGE_RECIPIENT,
      kinds:
        e.OPSTAGE_OFFSITE_KINDS === undefined
          ? undefined
          : e.OPSTAGE_OFFSITE_KINDS === "none"
            ? []
            : (e.OPSTAGE_OFFSITE_KINDS.split(",") as ("manual" | "scheduled" | "pre-upgrade")[]),
      keepScheduled: e.OPSTAGE_OFFSITE_KEEP,
      retryFirstDelayMs: e.OPSTAGE_OFFSITE_RETRY_FIRST_DELAY_MS,
    },
    replication: replicationEnvironment(e),
    restoreOnEmpty: restoreOnEmptyEnvironment(e),
  };
  refuseSharedFolders(config);
  return config;
}

/**
 * `folder` with its symbolic links resolved as far as it exists: a folder not made yet resolves
 * through its nearest existing parent, which is where it would be made.
 */
function resolvedFolder(folder: string): string {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
    try {
      return path.join(/*turbopackIgnore: true*/ realpathSync(current), ...missing);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return folder;
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

// Each folder must be its own. A backup folder that is the data folder lists the live opstage.db
// as a backup (which a delete then unlinks under the running server), and a replica folder on
// either would mix Litestream's generations with files that retention and restores manage.
function refuseSharedFolders(config: Config): void {
  const data = resolvedFolder(config.dataDir);
  const backups = resolvedFolder(config.backupDir);
  if (backups === data) {
    throw new ConfigError(
      "OPSTAGE_BACKUP_DIR",
      `is the data folder OPSTAGE_DATA_DIR (${data}): backups need a folder of their own. ` +
        `Unset OPSTAGE_BACKUP_DIR (backups then go to ${path.join(/*turbopackIgnore: true*/ config.dataDir, "backups")}) or point it elsewhere.`,
    );
  }
  const { replica, path: replicaPath } = config.replication;
  if (replica !== "file" || !replicaPath) return;
  const replicaFolder = resolvedFolder(replicaPath);
  for (const [variable, folder] of [
    ["OPSTAGE_DATA_DIR", data],
    ["OPSTAGE_BACKUP_DIR", backups],
  ] as const) {
    if (replicaFolder === folder) {
      throw new ConfigError(
        "OPSTAGE_REPLICATION_PATH",
        `is the ${variable === "OPSTAGE_DATA_DIR" ? "data" : "backup"} folder ${variable} (${folder}): ` +
          `the replica needs a folder of its own, ideally on another disk.`,
      );
    }
  }
}

function replicationEnvironment(e: z.infer<typeof envSchema>): ReplicationEnvironment {
  const replica = e.OPSTAGE_REPLICATION;
  const required = (variable: string, value: string | undefined, what: string): string => {
    if (!value) throw new ConfigError(variable, `is required when OPSTAGE_REPLICATION=${replica}: ${what}`);
    return value;
  };
  let replicaPath = e.OPSTAGE_REPLICATION_PATH;
  let sftp: ReplicationEnvironment["sftp"];
  if (replica === "file") {
    const folder = required("OPSTAGE_REPLICATION_PATH", replicaPath, "the replica folder (a mounted volume)");
    if (!path.isAbsolute(folder)) throw new ConfigError("OPSTAGE_REPLICATION_PATH", "must be an absolute path");
    replicaPath = path.resolve(/*turbopackIgnore: true*/ folder);
  } else if (replica === "sftp") {
    required("OPSTAGE_REPLICATION_PATH", replicaPath, "the replica folder on the SFTP server");
    sftp = {
      host: required("OPSTAGE_REPLICATION_SFTP_HOST", e.OPSTAGE_REPLICATION_SFTP_HOST, "the SFTP server's host"),
      port: e.OPSTAGE_REPLICATION_SFTP_PORT,
      user: required("OPSTAGE_REPLICATION_SFTP_USER", e.OPSTAGE_REPLICATION_SFTP_USER, "the SFTP user"),
      keyPath: path.resolve(
        /*turbopackIgnore: true*/ required(
          "OPSTAGE_REPLICATION_SFTP_KEY_PATH",
          e.OPSTAGE_REPLICATION_SFTP_KEY_PATH,
          "the private key file that signs in",
        ),
      ),
    };
  }
  return {
    replica,
    path: replicaPath,
    sftp,
    recipient: e.OPSTAGE_REPLICATION_AGE_RECIPIENT,
    syncInterval: e.OPSTAGE_REPLICATION_SYNC_INTERVAL,
    snapshotInterval: e.OPSTAGE_REPLICATION_SNAPSHOT_INTERVAL,
    retention: e.OPSTAGE_REPLICATION_RETENTION,
    uploadTimeout: e.OPSTAGE_REPLICATION_UPLOAD_TIMEOUT,
    alertAfter: e.OPSTAGE_REPLICATION_ALERT_AFTER,
    restoreCheckTtl: e.OPSTAGE_RESTORE_CHECK_TTL,
  };
}

function restoreOnEmptyEnvironment(e: z.infer<typeof envSchema>): RestoreOnEmptyEnvironment {
  const source = e.OPSTAGE_RESTORE_ON_EMPTY;
  // A start on an empty data folder has no database to read a target saved in the console from:
  // what it restores from must be in the environment.
  if (source === "offsite") {
    for (const [variable, value] of [
      ["OPSTAGE_OFFSITE_BUCKET", e.OPSTAGE_OFFSITE_BUCKET],
      ["OPSTAGE_OFFSITE_ACCESS_KEY_ID", e.OPSTAGE_OFFSITE_ACCESS_KEY_ID],
      ["OPSTAGE_OFFSITE_SECRET_ACCESS_KEY", e.OPSTAGE_OFFSITE_SECRET_ACCESS_KEY],
    ] as const) {
      if (!value) {
        throw new ConfigError(
          variable,
          "is required when OPSTAGE_RESTORE_ON_EMPTY=offsite: an empty start reads the offsite target from the environment only",
        );
      }
    }
  }
  if (source === "replica" && e.OPSTAGE_REPLICATION === "off") {
    throw new ConfigError(
      "OPSTAGE_REPLICATION",
      "is required when OPSTAGE_RESTORE_ON_EMPTY=replica: set the same OPSTAGE_REPLICATION_* values the server replicated with",
    );
  }
  const absolute = (file: string | undefined) =>
    file === undefined ? undefined : path.resolve(/*turbopackIgnore: true*/ file);
  return {
    source,
    offsiteIdentityFile: absolute(e.OPSTAGE_OFFSITE_AGE_IDENTITY_FILE),
    replicaIdentityFile: absolute(e.OPSTAGE_REPLICATION_AGE_IDENTITY_FILE ?? e.OPSTAGE_OFFSITE_AGE_IDENTITY_FILE),
  };
}

let cached: Config | undefined;
let consumer: ConfigConsumer = "server";

/** Called first by the CLI: its configuration does not require the session secret. */
export function configureForCli(): void {
  consumer = "cli";
  cached = undefined;
}

/** The process's configuration, parsed once. */
export function getConfig(): Config {
  // Parsed on the first call only: copying process.env (a getter per variable) on every call cost
  // ~0.1 ms, and most requests ask several times.
  cached ??= parseConfig(
    {
      ...process.env,
      // Written out so the bundlers can inline the values fixed at build time (next.config.mjs
      // `env`, esbuild `define` for the CLI): they replace only literal process.env.NAME
      // expressions.
      OPSTAGE_BUILD_COMMIT: process.env.OPSTAGE_BUILD_COMMIT,
      OPSTAGE_BUILD_TIME: process.env.OPSTAGE_BUILD_TIME,
    },
    consumer,
  );
  return cached;
}
