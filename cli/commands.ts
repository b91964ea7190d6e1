// The operator CLI's commands (all but `serve`, which opstage.ts runs without loading these). It
// calls the same lib/ functions as the server. Exit codes: 0 ok, 1 refused or failed (one clear
// line on stderr), 2 usage.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { recordAuditSafely } from "../lib/audit/record";
import { createAuditedBackup } from "../lib/system/audited-backup";
import { listBackups } from "../lib/backup/catalog";
import { snapshotToFile } from "../lib/backup/export";
import { resolveBackupArgument, unreadableFileReason } from "../lib/backup/files";
import { readManifest } from "../lib/backup/manifest";
import { PRE_RESTORE_KEEP, restoreDatabase, RestoreError, type RestorePhases } from "../lib/backup/restore";
import { describeRestoreChanges } from "../lib/backup/restore-changes";
import { verifyDatabaseFile } from "../lib/backup/verify";
import { formatBytes } from "../lib/format";
import { getConfig, configureForCli } from "../lib/config";
import { configureLogging } from "../lib/log";
import { getAppDatabase } from "../lib/db/app-database";
import { migrationsDir } from "../lib/db/paths";
import { setWalCheckpointOwner } from "../lib/db/sqlite";
import { getPrisma } from "../lib/db/prisma";
import { withDatabaseReleased } from "../lib/db/runtime";
import { isRole, ROLES } from "../lib/roles";
import { resetTwoFactor } from "../lib/auth/two-factor";
import { createUser, resetPassword } from "../lib/auth/users";
import { readMigrationFiles } from "../lib/migrate/files";
import { MigrationError, migrationStatus } from "../lib/migrate/status";
import { readCopyState } from "../lib/offsite/copy-state";
import { describeCopyState } from "../lib/offsite/copy-status";
import { fetchOffsiteCopy } from "../lib/offsite/fetch";
import { offsiteCopiesSettled } from "../lib/offsite/queue";
import { backupProofsSettled } from "../lib/backup/proof";
import { alertsSettled } from "../lib/alerts/notify";
import { listRemoteCopies } from "../lib/offsite/remote";
import { withOffsiteTarget } from "../lib/offsite/session";
import {
  discardReplicaRestore,
  parseRestoreMoment,
  REPLICA_REFUSAL_ADVICE,
  restoreReplicaToTemp,
} from "../lib/replication/point-in-time";
import { APP_VERSION } from "../lib/version";
import { ask, readPassword } from "./prompt";

const USAGE = `Opstage CE ${APP_VERSION} operator CLI

Usage:
  opstage serve                                  start the server (standalone build)
  opstage user create USERNAME --role ROLE       create a user; password read from stdin
  opstage user reset-password USERNAME           set a new password; read from stdin
  opstage user reset-2fa USERNAME                remove the user's second factor and recovery codes
  opstage config                                 where the data is, as configured (opens nothing)
  opstage migrate status                         applied and pending migrations
  opstage backup [--out FILE]                    online snapshot into the backup folder, or to FILE
  opstage verify FILE|NAME                       checksum, integrity, restorable into this version?
                                                 (NAME: a stored backup as "opstage list" prints it)
  opstage list                                   stored backups, newest first
  opstage offsite list                           copies in the offsite bucket, newest first
  opstage offsite fetch NAME [--identity-file FILE|-]
                                                 download a copy into the backup folder, verified;
                                                 an encrypted one needs its age identity (file or stdin)
  opstage restore FILE|NAME [--yes] [--backup-settings]
                                                 replace opstage.db with FILE or the stored backup
                                                 NAME (server stopped); keeps
                                                 this instance's backup schedule unless --backup-settings
  opstage restore --at TIME [--yes] [--backup-settings] [--identity-file FILE|-]
                                                 replace opstage.db with the replica as it was at TIME
                                                 (ISO 8601 with zone, e.g. 2026-11-27T06:30:00Z, or
                                                 latest); needs the OPSTAGE_REPLICATION_* settings, and
                                                 the age identity when the replica is encrypted

Roles: ${ROLES.join(", ")}. Configuration comes from the same OPSTAGE_* variables as the server.`;

class UsageError extends Error {}

// Opening a missing file would create an empty database; the CLI never does that.
function openExistingDatabase() {
  const { databasePath } = getConfig();
  if (!existsSync(databasePath)) {
    throw new MigrationError("apply", `No database at ${databasePath} yet; the server creates it on first start.`);
  }
  return getAppDatabase();
}

/** The database must be migrated by this build before the CLI writes to it. */
function requireMigratedDatabase(): void {
  const status = migrationStatus(openExistingDatabase(), readMigrationFiles(migrationsDir()));
  if (status.pending.length > 0) {
    throw new MigrationError(
      "apply",
      `The database has ${status.pending.length} pending migration(s); start the server once to apply them.`,
    );
  }
}

async function userCommand(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { role: { type: "string" } } });
  const [action, username] = positionals;
  if (!username || positionals.length !== 2) throw new UsageError("user commands take one USERNAME");
  requireMigratedDatabase();
  if (action === "create") {
    const role = values.role ?? "";
    if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    const user = await createUser({ username, role, password: await readPassword() });
    console.log(`Created ${user.role} ${user.username}.`);
  } else if (action === "reset-password") {
    if (values.role) throw new UsageError("reset-password takes no --role");
    const user = await resetPassword(username, await readPassword());
    console.log(`Password of ${user.username} changed.`);
  } else if (action === "reset-2fa") {
    if (values.role) throw new UsageError("reset-2fa takes no --role");
    const { user, removed } = await resetTwoFactor(username);
    await recordAuditSafely({
      actor: { type: "SYSTEM", id: "cli" },
      action: "user.2fa.reset",
      result: "SUCCESS",
      targetType: "user",
      targetId: user.id,
      metadata: { username: user.username, removed, by: "cli" },
    });
    console.log(
      removed
        ? `Second factor of ${user.username} removed: the password alone signs in until a new one is set up.`
        : `${user.username} had no second factor; nothing changed.`,
    );
  } else {
    throw new UsageError(`unknown user command: ${action}`);
  }
}

function configCommand(): void {
  const config = getConfig();
  console.log(`Data dir: ${config.dataDir}`);
  console.log(`Database: ${config.databasePath}`);
  console.log(`Backups: ${config.backupDir}`);
}

function migrateStatusCommand(): void {
  const files = readMigrationFiles(migrationsDir());
  const status = migrationStatus(openExistingDatabase(), files);
  console.log(`Database: ${getConfig().databasePath}`);
  console.log(`Migrations in this build: ${files.length}`);
  console.log(`Applied: ${status.applied.length}${status.latestApplied ? ` (latest: ${status.latestApplied})` : ""}`);
  console.log(`Pending: ${status.pending.length}`);
  for (const file of status.pending) console.log(`  - ${file.name}`);
}

async function backupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string" } } });
  if (positionals.length > 0) throw new UsageError("backup takes no arguments besides --out FILE");
  const config = getConfig();
  requireMigratedDatabase();
  const actor = { type: "SYSTEM" as const, id: "cli" };
  if (values.out) {
    const target = path.resolve(values.out);
    const result = await snapshotToFile(config.databasePath, values.out).catch(async (error: unknown) => {
      await recordAuditSafely({
        actor,
        action: "backup.sqlite.failed",
        result: "FAILURE",
        targetType: "file",
        targetId: target,
        message: error instanceof Error ? error.message : String(error),
        metadata: { by: "cli" },
      });
      throw error;
    });
    await recordAuditSafely({
      actor,
      action: "backup.sqlite.created",
      result: "SUCCESS",
      targetType: "file",
      targetId: path.resolve(values.out),
      metadata: { bytes: result.bytes, sha256: result.sha256, by: "cli" },
    });
    console.log(`Wrote ${path.resolve(values.out)} (${formatBytes(result.bytes)}, sha256 ${result.sha256})`);
    return;
  }
  const backup = await createAuditedBackup({ config, kind: "manual", actor, actorLabel: "CLI" });
  console.log(`Wrote ${backup.path} (${formatBytes(backup.bytes)}, sha256 ${backup.sha256})`);
  // The offsite copy (when a target is configured) and the backup's verification run in the
  // background; this process waits for them, retries and any alert included, before it exits.
  await Promise.all([offsiteCopiesSettled(), backupProofsSettled()]);
  await alertsSettled();
}

// Offsite commands work on an empty data dir too (the server is gone): the target then comes
// from the OPSTAGE_OFFSITE_* variables alone.
function offsiteScope() {
  const config = getConfig();
  return { config, useDatabase: existsSync(config.databasePath) };
}

async function offsiteListCommand(): Promise<void> {
  const { config, useDatabase } = offsiteScope();
  const copies = await withOffsiteTarget(config, listRemoteCopies, { useDatabase });
  if (copies.length === 0) {
    console.log("No offsite copies.");
    return;
  }
  for (const copy of copies) {
    console.log(
      [
        copy.name.padEnd(48),
        copy.kind.padEnd(11),
        copy.createdAt,
        formatBytes(copy.bytes).padStart(9),
        copy.encrypted ? "encrypted" : "plain",
        copy.present ? "" : "MISSING",
      ]
        .join("  ")
        .trimEnd(),
    );
  }
}

async function readIdentityText(source: string | undefined): Promise<string | null> {
  if (source === undefined) return null;
  if (source !== "-") return readFileSync(source, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function offsiteFetchCommand(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { "identity-file": { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("offsite fetch takes one NAME (see `opstage offsite list`)");
  const identityFile = values["identity-file"];
  if (identityFile && identityFile !== "-") {
    const unreadable = unreadableFileReason(path.resolve(identityFile));
    if (unreadable) throw new UsageError(unreadable);
  }
  const { config, useDatabase } = offsiteScope();
  const identityText = await readIdentityText(identityFile);
  const fetched = await withOffsiteTarget(
    config,
    (client, target) =>
      fetchOffsiteCopy({
        client,
        target,
        backupDir: config.backupDir,
        objectName: positionals[0]!,
        identityText,
        shipped: readMigrationFiles(migrationsDir()),
      }),
    { useDatabase },
  );
  console.log(`Fetched ${fetched.path} (${formatBytes(fetched.bytes)}): ${fetched.detail}`);
  console.log(`Restore it with: opstage restore ${fetched.path} --yes`);
}

async function verifyCommand(args: string[]): Promise<void> {
  if (args.length !== 1) throw new UsageError("verify takes one FILE or NAME");
  const { backupDir } = getConfig();
  const file = resolveBackupArgument(args[0]!, backupDir);
  const unreadable = unreadableFileReason(file);
  if (unreadable) throw new UsageError(unreadable);
  // A file in the backup folder is checked against its manifest's checksum too.
  const manifest = path.dirname(file) === backupDir ? readManifest(backupDir, path.basename(file)) : null;
  const result = await verifyDatabaseFile(file, readMigrationFiles(migrationsDir()), manifest?.sha256 ?? null);
  console.log(`${file}: ${result.state} — ${result.detail}`);
  const checked = manifest && result.state !== "modified" ? " (matches the manifest)" : "";
  console.log(`sha256 ${result.sha256}${checked}`);
  if (!result.restorable) process.exitCode = 1;
}

function listCommand(): void {
  const backups = listBackups(getConfig().backupDir);
  if (backups.length === 0) {
    console.log(`No backups in ${getConfig().backupDir}.`);
    return;
  }
  for (const entry of backups) {
    const state = entry.verification ? entry.verification.state : "not verified";
    const offsite = readCopyState(getConfig().backupDir, entry.name);
    console.log(
      [
        entry.name.padEnd(44),
        entry.kind.padEnd(11),
        entry.createdAt,
        formatBytes(entry.bytes).padStart(9),
        state.padEnd(12),
        offsite ? `offsite: ${describeCopyState(offsite)}` : "",
      ]
        .join("  ")
        .trimEnd(),
    );
  }
}

/** One line: the time each step took (copy and check ran side by side). */
function describeRestorePhases(phasesMs: RestorePhases & { replicaMs?: number }): string {
  const parts = Object.entries(phasesMs).map(([phase, ms]) => `${phase.replace(/Ms$/, "")} ${Math.round(ms)}`);
  return `Phases (ms; copy and check side by side): ${parts.join(", ")}.`;
}

async function restoreCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      yes: { type: "boolean" },
      "backup-settings": { type: "boolean" },
      at: { type: "string" },
      "identity-file": { type: "string" },
    },
  });
  if (values.at !== undefined) {
    if (positionals.length > 0) throw new UsageError("restore takes either FILE or --at TIME, not both");
    return restoreToMomentCommand(values.at, {
      yes: values.yes,
      backupSettings: values["backup-settings"],
      identityFile: values["identity-file"],
    });
  }
  if (values["identity-file"] !== undefined) {
    throw new UsageError("--identity-file goes with --at (an encrypted replica); a backup file is not encrypted");
  }
  if (positionals.length !== 1) throw new UsageError("restore takes one FILE or NAME");
  const config = getConfig();
  const file = resolveBackupArgument(positionals[0]!, config.backupDir);
  if (!values.yes) {
    if (!process.stdin.isTTY) throw new UsageError("restore replaces the database: pass --yes to confirm");
    const answer = await ask(
      `Replace ${config.databasePath} with ${file}? The current database is kept as a pre-restore backup. Type yes: `,
    );
    if (answer.trim() !== "yes") throw new RestoreError("Not confirmed; nothing changed.");
  }
  const report = await withDatabaseReleased(() =>
    restoreDatabase({
      config,
      file,
      shipped: readMigrationFiles(migrationsDir()),
      keepSettings: !values["backup-settings"],
      crashAt: config.testRestoreCrashAt,
    }),
  );
  console.log(`Restored ${file} as ${config.databasePath} (sha256 ${report.sha256}).`);
  if (report.integrityBy) console.log(`Integrity: ${report.integrityBy}.`);
  console.log(describeRestorePhases(report.phasesMs));
  console.log(
    report.preRestore
      ? `The replaced database is kept as ${path.join(config.backupDir, report.preRestore)}.`
      : "There was no database to replace.",
  );
  for (const line of describeRestoreChanges(report.changes)) console.log(line);
  if (report.deletedPreRestores.length > 0) {
    console.log(
      `Older pre-restore backups deleted (the newest ${PRE_RESTORE_KEEP} are kept): ${report.deletedPreRestores.join(", ")}.`,
    );
  }
  console.log(
    report.pendingMigrations > 0
      ? `At the next start Opstage takes a pre-upgrade snapshot and applies ${report.pendingMigrations} migration(s), then records the restore in the audit log.`
      : "At the next start Opstage opens it as is and records the restore in the audit log.",
  );
}

async function restoreToMomentCommand(
  at: string,
  options: { yes?: boolean; backupSettings?: boolean; identityFile?: string },
) {
  const config = getConfig();
  const moment = parseRestoreMoment(at);
  if (options.identityFile && options.identityFile !== "-") {
    const unreadable = unreadableFileReason(path.resolve(options.identityFile));
    if (unreadable) throw new UsageError(unreadable);
  }
  const asked = moment === "latest" ? "the replica's latest state" : moment.toISOString();
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new UsageError("restore replaces the database: pass --yes to confirm");
    const answer = await ask(
      `Replace ${config.databasePath} with the replica as of ${asked}? The current database is kept as a pre-restore backup. Type yes: `,
    );
    if (answer.trim() !== "yes") throw new RestoreError("Not confirmed; nothing changed.");
  }
  const identityText = await readIdentityText(options.identityFile);
  const replicaStarted = performance.now();
  const restored = await restoreReplicaToTemp(config, moment, { identityText });
  const replicaMs = performance.now() - replicaStarted;
  let report;
  try {
    // Reading the offsite target saved in the console (a replica may borrow its recipient) opened
    // this process's own connection on opstage.db. The install leaves WAL mode, which SQLite
    // refuses while another connection has the file open ("database is locked"): the process's
    // connections are let go first, as the console's restore does.
    report = await withDatabaseReleased(() =>
      restoreDatabase({
        config,
        file: restored.file,
        shipped: readMigrationFiles(migrationsDir()),
        keepSettings: !options.backupSettings,
        crashAt: config.testRestoreCrashAt,
        label: `replica ${restored.replicaLabel} as of ${restored.moment}`,
        refusalAdvice: REPLICA_REFUSAL_ADVICE,
        adopt: true,
      }),
    );
  } finally {
    discardReplicaRestore(restored.file);
  }
  const generation = restored.generation
    ? ` (generation ${restored.generation.generation}, ${restored.generation.start} – ${restored.generation.end})`
    : "";
  console.log(
    `Restored ${config.databasePath} to ${restored.moment === "latest" ? "the latest state in the replica" : restored.moment} from ${restored.replicaLabel}${generation} (sha256 ${report.sha256}).`,
  );
  if (report.integrityBy) console.log(`Integrity: ${report.integrityBy}.`);
  // The moment restored by Litestream first, then the restore's own phases (its "copy" is the
  // hash of Litestream's file, which is installed without a copy).
  console.log(describeRestorePhases({ replicaMs, ...report.phasesMs }));
  console.log(
    report.preRestore
      ? `The replaced database is kept as ${path.join(config.backupDir, report.preRestore)}.`
      : "There was no database to replace.",
  );
  for (const line of describeRestoreChanges(report.changes)) console.log(line);
  console.log(
    "At the next start Opstage records the restore in the audit log, and Litestream starts a new generation from the restored database.",
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  configureForCli();
  // As in the server (startup.ts): while replication is on, Litestream alone checkpoints, so a
  // command's writes (audit, users) never restart the WAL it follows.
  try {
    setWalCheckpointOwner(getConfig().replication.replica === "off" ? "sqlite" : "litestream");
  } catch {
    // A bad configuration is reported by the command that reads it.
  }
  // What lib/ logs goes to standard error, in readable lines: standard output is the command's
  // answer.
  configureLogging({ format: "pretty", level: "info", toStderr: true });
  if (command === "user") return userCommand(rest);
  if (command === "config" && rest.length === 0) return configCommand();
  if (command === "migrate" && rest[0] === "status" && rest.length === 1) return migrateStatusCommand();
  if (command === "backup") return backupCommand(rest);
  if (command === "verify") return verifyCommand(rest);
  if (command === "list" && rest.length === 0) return listCommand();
  if (command === "restore") return restoreCommand(rest);
  if (command === "offsite" && rest[0] === "list" && rest.length === 1) return offsiteListCommand();
  if (command === "offsite" && rest[0] === "fetch") return offsiteFetchCommand(rest.slice(1));
  if (!command || command === "help" || command === "--help") {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`unknown command: ${argv.join(" ")}`);
}

/** Runs one operator command (anything but `serve`); exits the process with its code on failure. */
export async function runCommand(argv: string[]): Promise<void> {
  await main(argv)
    .then(async () => {
      await getPrisma().$disconnect();
    })
    .catch((error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`opstage: ${error.message}\n\n${USAGE}`);
        process.exit(2);
      }
      // Known failures say what is wrong and what to do; anything else at least says what broke.
      console.error(`opstage: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
