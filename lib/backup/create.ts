// Makes a stored backup: check space, snapshot into a temp file in the backup folder, commit it
// under its final name (files.ts), then write its manifest. One at a time (lock.ts).
import { statSync } from "node:fs";
import path from "node:path";
import { APP_VERSION } from "../system/version";
import { backupFileName, commitTempFile, discardTempFile, ensureDir, tempPathFor } from "./files";
import { writeManifest, type BackupKind, type BackupManifest } from "./manifest";
import { withSnapshotLock } from "./lock";
import { bytesNeededForSnapshot, diskFreeBytes, InsufficientSpaceError, type FreeSpaceProbe } from "./space";
import { snapshotDatabase } from "./worker";

export type CreateBackupOptions = {
  databasePath: string;
  backupDir: string;
  kind: Exclude<BackupKind, "external">;
  actor: BackupManifest["actor"];
  /** Appended to the file name, e.g. "pre-upgrade-0.1.0-to-0.2.0". */
  label?: string;
  freeSpace?: FreeSpaceProbe;
  lockWaitMs?: number;
};

export type CreatedBackup = BackupManifest & { path: string };

export function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  return withSnapshotLock(() => snapshotToBackupDir(options), options.lockWaitMs);
}

async function snapshotToBackupDir(options: CreateBackupOptions): Promise<CreatedBackup> {
  const { databasePath, backupDir } = options;
  const startedAt = new Date();
  ensureDir(backupDir);
  const needed = bytesNeededForSnapshot(databasePath);
  const free = (options.freeSpace ?? diskFreeBytes)(backupDir);
  if (free < needed) throw new InsufficientSpaceError(needed, free, backupDir);

  const name = backupFileName(startedAt, options.label);
  const finalPath = path.join(backupDir, name);
  const tempPath = tempPathFor(backupDir, name);
  let snapshot;
  try {
    snapshot = await snapshotDatabase(databasePath, tempPath);
    commitTempFile(tempPath, finalPath);
  } catch (error) {
    discardTempFile(tempPath);
    throw error;
  }
  const manifest: BackupManifest = {
    name,
    kind: options.kind,
    sha256: snapshot.sha256,
    bytes: statSync(finalPath).size,
    createdAt: startedAt.toISOString(),
    appVersion: APP_VERSION,
    lastMigration: snapshot.migrations.at(-1) ?? null,
    databaseBytes: needed,
    durationMs: Math.round(Date.now() - startedAt.getTime()),
    actor: options.actor,
  };
  writeManifest(backupDir, manifest);
  return { ...manifest, path: finalPath };
}
