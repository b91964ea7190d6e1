// Makes a stored backup: check space, snapshot into a temp file in the backup folder, commit it
// under its final name (files.ts), write its manifest. One snapshot at a time (lock.ts).
//
// The file's sha256 is filled in afterwards, by finalize(), in a worker: hashing a large file
// before the first byte would add a whole extra read of it to a download's wait, so the download
// route finalizes after streaming and everyone else right away.
import { statSync } from "node:fs";
import path from "node:path";
import { APP_VERSION } from "../system/version";
import { backupFileName, commitTempFile, discardTempFile, ensureDir, tempPathFor } from "./files";
import { readManifest, writeManifest, type BackupKind, type BackupManifest } from "./manifest";
import { withSnapshotLock } from "./lock";
import { bytesNeededForSnapshot, diskFreeBytes, InsufficientSpaceError, type FreeSpaceProbe } from "./space";
import { hashFile, snapshotDatabase } from "./worker";

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

export type CreatedBackup = BackupManifest & {
  path: string;
  /** Computes the file's sha256 in a worker and writes it into the manifest. */
  finalize: () => Promise<BackupManifest>;
};

export async function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  const manifest = await withSnapshotLock(() => snapshotToBackupDir(options), options.lockWaitMs);
  const file = path.join(options.backupDir, manifest.name);
  const finalize = async () => {
    const sha256 = await hashFile(file);
    // Re-read: a verify or a delete may have happened meanwhile.
    const current = readManifest(options.backupDir, manifest.name);
    if (!current) return { ...manifest, sha256 };
    const complete = { ...current, sha256 };
    await writeManifest(options.backupDir, complete);
    return complete;
  };
  return { ...manifest, path: file, finalize };
}

async function snapshotToBackupDir(options: CreateBackupOptions): Promise<BackupManifest> {
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
    await commitTempFile(tempPath, finalPath, true);
  } catch (error) {
    discardTempFile(tempPath);
    throw error;
  }
  const manifest: BackupManifest = {
    name,
    kind: options.kind,
    sha256: null,
    bytes: statSync(finalPath).size,
    createdAt: startedAt.toISOString(),
    appVersion: APP_VERSION,
    lastMigration: snapshot.migrations.at(-1) ?? null,
    databaseBytes: needed,
    durationMs: Math.round(Date.now() - startedAt.getTime()),
    snapshotMethod: snapshot.method,
    actor: options.actor,
  };
  await writeManifest(backupDir, manifest);
  return manifest;
}
