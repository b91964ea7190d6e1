// `<backup>.db.json` beside every backup the app writes: what it is, who made it, and how to tell
// that it is still the same file. Written atomically like the backup itself.
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ActorType } from "../generated/prisma/client";
import type { SnapshotMethod } from "./worker";
import { commitTempFile, discardTempFile, tempPathFor } from "./files";

export const BACKUP_KINDS = ["manual", "scheduled", "pre-upgrade", "pre-restore", "external"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export type VerificationState =
  "restorable" | "newer" | "unstartable" | "corrupt" | "modified" | "not-sqlite" | "foreign";

/**
 * Why a verification ran: right after the backup was stored, the periodic re-check of the newest
 * backup (bit rot, a file edited on the host), or an owner's "Verify".
 */
export type VerificationHow = "after-backup" | "re-check" | "by-hand";

export type Verification = {
  at: string;
  /** Absent in manifests written before it was recorded. */
  how?: VerificationHow;
  state: VerificationState;
  /** Whether this build can start on the file (migrating it forward if it is older). */
  restorable: boolean;
  detail: string;
};

export type BackupManifest = {
  name: string;
  kind: BackupKind;
  /**
   * Null for the second or so after the backup is committed while its hash is computed off the
   * critical path (a download starts streaming meanwhile), or when a crash came in between;
   * verify fills it in then.
   */
  sha256: string | null;
  bytes: number;
  createdAt: string;
  appVersion: string;
  lastMigration: string | null;
  /** Size of the live database when the backup was made (for the size-over-time chart). */
  databaseBytes: number | null;
  durationMs: number | null;
  /** How the snapshot was taken (lib/backup/worker.ts); absent in manifests older than it. */
  snapshotMethod?: SnapshotMethod;
  /** Why the checkpointed file copy could not be used, when snapshotMethod is backup-api. */
  snapshotFallbackReason?: string;
  actor: { type: ActorType; id: string | null; label: string };
  verification?: Verification;
};

export function manifestPath(backupDir: string, name: string): string {
  return path.join(/*turbopackIgnore: true*/ backupDir, `${name}.json`);
}

export function readManifest(backupDir: string, name: string): BackupManifest | null {
  const file = manifestPath(backupDir, name);
  if (!existsSync(file)) return null;
  try {
    const manifest = JSON.parse(readFileSync(file, "utf8")) as BackupManifest;
    return manifest.name === name && (typeof manifest.sha256 === "string" || manifest.sha256 === null)
      ? manifest
      : null;
  } catch {
    return null; // unreadable: the backup is listed as external until verified again
  }
}

export async function writeManifest(backupDir: string, manifest: BackupManifest): Promise<void> {
  const finalPath = manifestPath(backupDir, manifest.name);
  const tempPath = tempPathFor(backupDir, `${manifest.name}.json`);
  try {
    await writeFile(tempPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await commitTempFile(tempPath, finalPath);
  } catch (error) {
    discardTempFile(tempPath);
    throw error;
  }
}
