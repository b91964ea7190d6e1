// Runs `litestream replicate` as a child of the server while replication is on: restarted with
// backoff when it exits, stopped with SIGTERM (Litestream then syncs one last time) before the
// server closes the database, its JSON log lines forwarded into the server's log at their level.
//
// Litestream is started in its own process group (detached), so that a Ctrl-C in a terminal
// reaches the server alone and the server decides the order: Litestream's final sync first,
// then the database (see stopLitestreamSync and lib/system/startup.ts).
//
// A server killed with -9 leaves its Litestream running; the next start finds it through the
// pid file and stops it before starting its own, so that two never replicate one database.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { replicationErrorEvent } from "../alerts/events";
import { notify } from "../alerts/notify";
import type { Config } from "../config";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
import { litestreamBinary } from "./binary";
import { durationMs, prepareLitestream, writeFileAtomically, type ReplicaDescription } from "./litestream-config";

export const LITESTREAM_PID_FILE = "litestream.pid";
/** The recipient the replica is encrypted to, and since when ({ recipient, since }). */
export const LITESTREAM_ENCRYPTION_FILE = "litestream-age.json";
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A run this long counts as healthy: the next restart starts again from the first delay. */
const HEALTHY_RUN_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const KEPT_ERRORS = 20;

export type ReplicationEvent = { at: string; level: "warn" | "error"; message: string };

type SupervisorState = {
  config: Config | null;
  configPath: string | null;
  replica: ReplicaDescription | null;
  encryption: ReplicaEncryption | null;
  env: Record<string, string>;
  child: ChildProcess | null;
  startedAt: number | null;
  starts: number;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | null;
  stopping: boolean;
  lastExit: { at: string; code: number | null; signal: string | null } | null;
  /** The newest warnings and errors Litestream logged (or the supervisor met), newest last. */
  events: ReplicationEvent[];
  /** "new generation" lines since this server started: each is a full snapshot upload. */
  generationsStarted: { at: string; generation: string; reason: string }[];
  setupError: string | null;
  /** When Litestream last reported an upload to the replica ("wal segment written", "snapshot written"). */
  lastUploadAt: string | null;
  /** When the WAL segment upload under way began ("write wal segment" without its "written" yet). */
  uploadingSince: number | null;
  watchdog: NodeJS.Timeout | null;
  /** Set when a hung upload was killed: the next Litestream starts a new generation. */
  newGenerationNext: boolean;
  /** When the current run of errors began, and whether it was alerted; cleared by the next upload. */
  erroringSince: number | null;
  errorAlerted: boolean;
};

function state(): SupervisorState {
  return processSingleton<SupervisorState>("litestream", () => ({
    config: null,
    configPath: null,
    replica: null,
    encryption: null,
    env: {},
    child: null,
    startedAt: null,
    starts: 0,
    restartDelayMs: FIRST_RESTART_DELAY_MS,
    restartTimer: null,
    stopping: false,
    lastExit: null,
    events: [],
    generationsStarted: [],
    setupError: null,
    lastUploadAt: null,
    uploadingSince: null,
    watchdog: null,
    newGenerationNext: false,
    erroringSince: null,
    errorAlerted: false,
  }));
}

function remember(level: ReplicationEvent["level"], message: string): void {
  const current = state();
  current.events.push({ at: new Date().toISOString(), level, message });
  if (current.events.length > KEPT_ERRORS) current.events.splice(0, current.events.length - KEPT_ERRORS);
  // One alert per run of errors that outlasts OPSTAGE_REPLICATION_ALERT_AFTER without an upload: a
  // replica that is down logs an error every sync interval, while a busy writer makes Litestream
  // log a passing checkpoint error now and then, which the next upload clears.
  if (level !== "error" || !current.config) return;
  current.erroringSince ??= Date.now();
  const alertAfterMs = durationMs(current.config.replication.alertAfter);
  if (!current.errorAlerted && Date.now() - current.erroringSince >= alertAfterMs) {
    current.errorAlerted = true;
    notify(replicationErrorEvent({ target: describeReplica(current.replica), error: message }));
  }
}

const LEVELS = { DEBUG: "debug", INFO: "info", WARN: "warn", ERROR: "error" } as const;

/** One line of Litestream's output into the server's log; remembers warnings, errors, generations. */
export function forwardLogLine(line: string, stream: "stdout" | "stderr"): void {
  if (!line.trim()) return;
  const log = logger().child({ component: "litestream" });
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // Not one of its JSON records (a Go panic, a start-up failure): kept whole.
    if (stream === "stderr") {
      log.warn(line);
      remember("warn", line);
    } else log.info(line);
    return;
  }
  const { time: _time, level, msg, ...fields } = record;
  const pinoLevel = LEVELS[String(level).toUpperCase() as keyof typeof LEVELS] ?? "info";
  const message = String(msg ?? "");
  log[pinoLevel](fields, message);
  if (pinoLevel === "warn" || pinoLevel === "error") {
    const detail = typeof fields.error === "string" ? `: ${fields.error}` : "";
    remember(pinoLevel, `${message}${detail}`);
  }
  if (message === "write wal segment") state().uploadingSince ??= Date.now();
  if (message === "wal segment written" || message === "snapshot written") {
    state().lastUploadAt = new Date().toISOString();
    state().uploadingSince = null;
    state().erroringSince = null;
    state().errorAlerted = false;
  }
  if (message.includes("new generation")) {
    state().generationsStarted.push({
      at: new Date().toISOString(),
      generation: String(fields.generation ?? ""),
      reason: String(fields.reason ?? ""),
    });
  }
}

function pidFile(config: Config): string {
  return path.join(/* turbopackIgnore: true */ config.dataDir, LITESTREAM_PID_FILE);
}

/** The process's state letter from /proc (R, S, Z…), or null once it is gone. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(/* turbopackIgnore: true */ `/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  const letter = processState(pid);
  return letter !== null && letter !== "Z" && letter !== "X";
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits, blocking, until pid has exited (a zombie counts: nothing reaps it in synchronous code). */
function waitForExitSync(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    sleepSync(10);
  }
  return true;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * A Litestream left running by a server that was killed (-9): stopped with SIGTERM (it syncs
 * what it has), then SIGKILL past the timeout. Only a process whose command line is this data
 * dir's `litestream replicate` is touched.
 */
async function stopLeftoverLitestream(config: Config, configPath: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(/* turbopackIgnore: true */ pidFile(config), "utf8").trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !isRunning(pid)) return;
  let commandLine = "";
  try {
    commandLine = readFileSync(/* turbopackIgnore: true */ `/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return;
  }
  if (!commandLine.includes("replicate") || !commandLine.includes(configPath)) return;
  logger().warn(`stopping Litestream (pid ${pid}) left running by a previous server`);
  process.kill(pid, "SIGTERM");
  if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
    process.kill(pid, "SIGKILL");
    await waitForExit(pid, 2000);
  }
}

/** Without its generation file, Litestream v0.3.13 starts a new generation (a full snapshot). */
function startNewGeneration(config: Config): void {
  const databaseDir = path.dirname(/* turbopackIgnore: true */ config.databasePath);
  const metaDir = `.${path.basename(/* turbopackIgnore: true */ config.databasePath)}-litestream`;
  rmSync(path.join(/* turbopackIgnore: true */ databaseDir, metaDir, "generation"), { force: true });
}

/** Whether the replica is encrypted, and since when (this data dir's record of it). */
export type ReplicaEncryption = { recipient: string | null; since: string };

function encryptionRecordFile(config: Config): string {
  return path.join(/* turbopackIgnore: true */ config.dataDir, LITESTREAM_ENCRYPTION_FILE);
}

function readEncryptionRecord(config: Config): ReplicaEncryption | null {
  try {
    return JSON.parse(
      readFileSync(/* turbopackIgnore: true */ encryptionRecordFile(config), "utf8"),
    ) as ReplicaEncryption;
  } catch {
    return null;
  }
}

/**
 * Litestream continues a generation across restarts, so a recipient switched on (or changed)
 * would leave a generation whose snapshot is plaintext and whose later segments are encrypted,
 * which no single restore can read. A change starts a new generation instead; the older ones
 * stay as they were written (plaintext ones restore without an identity) until retention drops
 * them. A data dir without a record that now encrypts had a plaintext replica before.
 */
function recordEncryption(config: Config, recipient: string | null): ReplicaEncryption {
  const recorded = readEncryptionRecord(config);
  if (recorded && recorded.recipient === recipient) return recorded;
  if (recorded || recipient) {
    startNewGeneration(config);
    logger().warn(
      `Litestream starts a new generation: the replica is ${recipient ? `now encrypted to ${recipient}` : "no longer encrypted"}`,
    );
  }
  const record = { recipient, since: new Date().toISOString() };
  writeFileAtomically(encryptionRecordFile(config), `${JSON.stringify(record)}\n`);
  return record;
}

function spawnLitestream(): void {
  const s = state();
  if (!s.config || !s.configPath || s.stopping) return;
  const config = s.config;
  const binary = litestreamBinary();
  if (s.newGenerationNext) {
    // The killed upload may have left a partial WAL segment on the replica, and Litestream
    // v0.3.13 would continue after it: a restore past it would stop there.
    s.newGenerationNext = false;
    startNewGeneration(config);
    logger().warn("Litestream starts a new generation: its last upload was cut off");
  }
  const child = spawn(/* turbopackIgnore: true */ binary, ["replicate", "-config", s.configPath], {
    cwd: config.dataDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Litestream gets only what it needs: not the server's OPSTAGE_* settings and secrets.
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: process.env.NODE_ENV,
      ...s.env,
    } as NodeJS.ProcessEnv,
  });
  s.child = child;
  s.startedAt = Date.now();
  s.starts += 1;
  if (child.pid) writeFileAtomically(pidFile(config), `${child.pid}\n`);
  logger().info(`Litestream started (pid ${child.pid}), replicating to ${describeReplica(s.replica)}`);
  createInterface({ input: child.stdout! }).on("line", (line) => forwardLogLine(line, "stdout"));
  createInterface({ input: child.stderr! }).on("line", (line) => forwardLogLine(line, "stderr"));
  child.once("error", (error) => {
    remember("error", `Litestream could not run: ${error.message}`);
    logger().error({ err: error }, "Litestream could not run");
  });
  child.once("exit", (code, signal) => {
    if (s.child === child) s.child = null;
    s.uploadingSince = null;
    s.lastExit = { at: new Date().toISOString(), code, signal };
    if (s.stopping) return;
    const ranMs = Date.now() - (s.startedAt ?? Date.now());
    if (ranMs >= HEALTHY_RUN_MS) s.restartDelayMs = FIRST_RESTART_DELAY_MS;
    const delay = s.restartDelayMs;
    s.restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    const message = `Litestream exited (${signal ?? `code ${code}`}) after ${Math.round(ranMs / 1000)} s; restarting in ${delay / 1000} s`;
    remember("error", message);
    logger().error(message);
    s.restartTimer = setTimeout(() => {
      s.restartTimer = null;
      spawnLitestream();
    }, delay);
    s.restartTimer.unref();
  });
}

// Litestream v0.3.13's SFTP client has no timeouts: when the server goes away mid-upload, the
// upload can wait forever, logging nothing, while the replica falls behind. An upload of one WAL
// segment past the configured timeout is taken as hung: Litestream is killed (a SIGTERM would
// wait on the same upload for its final sync) and restarted by the exit handler above, which
// reconnects. Snapshot uploads are exempt: a large one legitimately takes long.
function startWatchdog(config: Config): void {
  const s = state();
  if (s.watchdog) return;
  const timeoutMs = durationMs(config.replication.uploadTimeout);
  s.watchdog = setInterval(
    () => {
      const since = s.uploadingSince;
      if (since === null || !s.child || Date.now() - since < timeoutMs) return;
      const message = `Litestream's upload to ${describeReplica(s.replica)} has not finished in ${Math.round((Date.now() - since) / 1000)} s (the replica does not answer); restarting Litestream`;
      remember("error", message);
      logger().error(message);
      s.uploadingSince = null;
      s.newGenerationNext = true;
      s.child.kill("SIGKILL");
    },
    Math.min(5000, Math.max(250, timeoutMs / 4)),
  );
  s.watchdog.unref();
}

export function describeReplica(replica: ReplicaDescription | null): string {
  if (!replica) return "nothing";
  if (replica.type === "file") return `the folder ${replica.path}`;
  if (replica.type === "sftp") return `sftp://${replica.user}@${replica.host}:${replica.port}${replica.path}`;
  return `s3://${replica.bucket}/${replica.path}${replica.endpoint ? ` at ${replica.endpoint}` : ""}`;
}

/**
 * Writes litestream.yml and starts `litestream replicate` (after stopping one a killed server
 * left behind). Does nothing when replication is off. A configuration that cannot be used is
 * logged and shown on the status page; the server serves regardless.
 */
export async function startLitestream(config: Config): Promise<void> {
  const s = state();
  if (config.replication.replica === "off") return;
  if (s.child) return;
  s.config = config;
  s.stopping = false;
  try {
    const setup = await prepareLitestream(config);
    if (!setup) return;
    s.configPath = setup.configPath;
    s.replica = setup.replica;
    s.env = setup.env;
    s.setupError = null;
    await stopLeftoverLitestream(config, setup.configPath);
    s.encryption = recordEncryption(config, setup.recipient);
    spawnLitestream();
    startWatchdog(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    s.setupError = message;
    remember("error", `Replication is not running: ${message}`);
    logger().error(`replication is not running: ${message}`);
  }
}

/** SIGTERM to Litestream and wait for it to exit (its final sync); no restart after. */
export async function stopLitestream(): Promise<void> {
  const s = state();
  s.stopping = true;
  if (s.restartTimer) clearTimeout(s.restartTimer);
  s.restartTimer = null;
  const child = s.child;
  if (!child?.pid) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timer])) === "timeout") {
    logger().warn("Litestream did not stop within 15 s of SIGTERM; killed");
    child.kill("SIGKILL");
    await exited;
  }
  if (s.config) rmSync(/* turbopackIgnore: true */ pidFile(s.config), { force: true });
}

/** Litestream's supervisor: runs it while replication is on; a stop waits for its final sync. */
export const litestreamService: Service = {
  name: "Litestream supervisor",
  start: (config) => startLitestream(config),
  stop: () => stopLitestream(),
};

/**
 * The same, blocking: for the 'exit' handler, where nothing asynchronous runs any more. Returns
 * whether Litestream finished its final sync (false: it was killed at the timeout).
 */
export function stopLitestreamSync(): boolean {
  const s = state();
  s.stopping = true;
  if (s.restartTimer) clearTimeout(s.restartTimer);
  const pid = s.child?.pid;
  if (!pid || !isRunning(pid)) return true;
  process.kill(pid, "SIGTERM");
  const clean = waitForExitSync(pid, STOP_TIMEOUT_MS);
  if (!clean) process.kill(pid, "SIGKILL");
  if (s.config) rmSync(/* turbopackIgnore: true */ pidFile(s.config), { force: true });
  return clean;
}

/** The environment Litestream runs with (the S3 keys), for the other litestream commands. */
export function litestreamEnv(): Record<string, string> {
  return { ...state().env };
}

/** Whether replication is configured on in this process (Litestream running or restarting). */
export function replicationActive(): boolean {
  const s = state();
  return s.config !== null && !s.stopping && s.setupError === null;
}

export type SupervisorSnapshot = {
  running: boolean;
  pid: number | null;
  startedAt: string | null;
  starts: number;
  lastExit: SupervisorState["lastExit"];
  events: ReplicationEvent[];
  generationsStarted: SupervisorState["generationsStarted"];
  setupError: string | null;
  configPath: string | null;
  replica: ReplicaDescription | null;
  encryption: ReplicaEncryption | null;
  lastUploadAt: string | null;
};

/** What the supervisor knows, without asking Litestream or the replica anything. */
export function supervisorSnapshot(): SupervisorSnapshot {
  const s = state();
  return {
    running: s.child !== null,
    pid: s.child?.pid ?? null,
    startedAt: s.child && s.startedAt ? new Date(s.startedAt).toISOString() : null,
    starts: s.starts,
    lastExit: s.lastExit,
    events: [...s.events],
    generationsStarted: [...s.generationsStarted],
    setupError: s.setupError,
    configPath: s.configPath,
    replica: s.replica,
    encryption: s.encryption,
    lastUploadAt: s.lastUploadAt,
  };
}
