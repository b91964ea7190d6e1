// Is this backup still good, and can this build start on it? Checks, in order: the bytes still
// match the manifest's sha256; the file opens read-only as SQLite; integrity_check is ok; this
// build can start on it (lib/migrate/startable.ts, the check the server's start makes).
import { existsSync, rmSync, statSync } from "node:fs";
import { SYSTEM_ACTOR } from "../audit/record";
import { openDatabase } from "../db/sqlite";
import { readMigrationRows } from "../migrate/history";
import type { MigrationFile } from "../migrate/files";
import { assertStartable } from "../migrate/startable";
import { MigrationError } from "../migrate/status";
import { APP_VERSION } from "../version";
import { backupPath } from "./files";
import {
  manifestPath,
  readManifest,
  writeManifest,
  type BackupManifest,
  type Verification,
  type VerificationHow,
  type VerificationState,
} from "./manifest";
import { KnownError } from "../errors";
import { checkIntegrity, hashFile, type IntegrityResult } from "./worker";

export type FileVerification = Verification & {
  sha256: string;
  /** The newest migration the file records as applied, when it is an Opstage database. */
  lastMigration: string | null;
  /** How many migrations this build would apply on start. */
  pendingMigrations: number;
};

export class BackupGoneError extends KnownError {
  override name = "BackupGoneError";
  constructor(name: string) {
    super("not_found", "not_found", `${name} was deleted while it was being verified.`);
  }
}

const STATE_OF_PROBLEM: Record<MigrationError["problem"], VerificationState> = {
  unknown: "newer",
  foreign: "foreign",
  failed: "unstartable",
  modified: "unstartable",
  apply: "unstartable",
};

/** The newest migration recorded as applied, read without judging the history. */
export function lastAppliedMigration(file: string): string | null {
  const db = openDatabase(file, { readonly: true });
  try {
    return (
      readMigrationRows(db)
        .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
        .map((row) => row.migration_name)
        .sort()
        .at(-1) ?? null
    );
  } finally {
    db.close();
  }
}

/**
 * Verifies any SQLite file against this build. The hash and integrity_check run side by side in
 * two workers; `known` skips either when the caller has it already (restore.ts computes both
 * while it copies the file).
 */
export async function verifyDatabaseFile(
  file: string,
  shipped: MigrationFile[],
  expectedSha256: string | null,
  known: { sha256?: string; integrity?: IntegrityResult } = {},
  options: { oneAtATime?: boolean } = {},
): Promise<FileVerification> {
  // oneAtATime (background proofs): one worker, hence half the memory, and a slower answer
  // nobody waits for.
  const [actualSha256, check] = options.oneAtATime
    ? [await (known.sha256 ?? hashFile(file)), await (known.integrity ?? checkIntegrity(file))]
    : await Promise.all([known.sha256 ?? hashFile(file), known.integrity ?? checkIntegrity(file)]);
  const at = new Date().toISOString();
  const result = (
    state: VerificationState,
    detail: string,
    facts: { lastMigration?: string | null; pending?: number } = {},
  ) => ({
    at,
    state,
    restorable: state === "restorable",
    detail,
    sha256: actualSha256,
    lastMigration: facts.lastMigration ?? null,
    pendingMigrations: facts.pending ?? 0,
  });
  if (expectedSha256 && actualSha256 !== expectedSha256) {
    return result(
      "modified",
      `sha256 ${actualSha256.slice(0, 12)}… does not match the manifest's ${expectedSha256.slice(0, 12)}…: the file changed since it was written.`,
    );
  }
  if (!check.sqlite) return result("not-sqlite", `Not a readable SQLite database: ${check.integrity[0]}`);
  if (check.integrity[0] !== "ok") {
    return result("corrupt", `${check.check} failed: ${check.integrity.slice(0, 3).join("; ")}`);
  }
  const db = openDatabase(file, { readonly: true });
  try {
    const status = assertStartable(db, shipped, APP_VERSION);
    // The server would start on an empty file too (as a new install), but restoring one would
    // replace everything with nothing: a backup must hold an Opstage database.
    if (status.applied.length === 0) {
      return result("foreign", "The file has no Opstage migration history: it is not an Opstage database.");
    }
    const pending = status.pending.length;
    return result(
      "restorable",
      pending > 0
        ? `Restorable into this version; ${pending} migration(s) will be applied on start.`
        : "Restorable into this version.",
      { lastMigration: status.latestApplied, pending },
    );
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    const state = STATE_OF_PROBLEM[error.problem];
    const lead = state === "newer" ? "Made by a newer version" : "This version would refuse to start on it";
    return result(state, `${lead}: ${error.message}`);
  } finally {
    db.close();
  }
}

/**
 * Verifies a stored backup and records the result in its manifest (creating one if external).
 * A backup deleted meanwhile (retention) gets no manifest: BackupGoneError.
 */
export async function verifyBackup(
  backupDir: string,
  name: string,
  shipped: MigrationFile[],
  how: VerificationHow = "by-hand",
): Promise<Verification> {
  const file = backupPath(backupDir, name);
  const manifest = readManifest(backupDir, name);
  const {
    sha256,
    lastMigration,
    pendingMigrations: _pending,
    ...checked
  } = await verifyDatabaseFile(file, shipped, manifest?.sha256 ?? null, {}, { oneAtATime: how !== "by-hand" });
  const verification: Verification = { ...checked, how };
  const updated: BackupManifest = manifest
    ? { ...manifest, sha256: manifest.sha256 ?? sha256, verification }
    : {
        name,
        kind: "external",
        sha256,
        bytes: statSync(file).size,
        createdAt: statSync(file).mtime.toISOString(),
        appVersion: "unknown",
        lastMigration,
        databaseBytes: null,
        durationMs: null,
        actor: { ...SYSTEM_ACTOR, label: "copied in by hand" },
        verification,
      };
  // A manifest without its backup would be an orphan (removed at the next start): do not write
  // one, and take back the one just written when the backup was deleted meanwhile (deleteBackup
  // removes the file, then its manifest: whatever the interleaving, one of the checks sees it).
  if (!existsSync(file)) throw new BackupGoneError(name);
  await writeManifest(backupDir, updated);
  if (!existsSync(file)) {
    rmSync(manifestPath(backupDir, name), { force: true });
    throw new BackupGoneError(name);
  }
  return verification;
}
