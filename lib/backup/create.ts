// Makes a stored backup: check space, snapshot into a temp file in the backup folder (hashed as
// it is written), write its complete manifest, then give the file its final name. One snapshot
// at a time (lock.ts), under a shared database lease (a restore waits for it, and it for a
// restore).
//
// One outcome per backup: either the file under its final name with a complete manifest, or no
// file and an error. The manifest goes in place first — a manifest without its file is ignored
// (catalog.ts) and removed at start — because a file under its final name without a manifest
// would be listed as a backup nobody can check.
import { rmSync, statSync } from "node:fs";
import path from "node:path";
import { withSharedLease } from "../db/lease";
import { logger } from "../log";
import { APP_VERSION } from "../version";
import { backupFileName, commitTempFile, discardTempFile, ensureDir, tempPathFor } from "./files";
import { manifestPath, writeManifest, type BackupKind, type BackupManifest } from "./manifest";
import { withSnapshotLock } from "./lock";
import {
  bytesNeededForSnapshot,
  diskFreeBytes,
  InsufficientSpaceError,
  isDiskFull,
  DiskFullError,
  type FreeSpaceProbe,
} from "./space";
import { lastAppliedMigration } from "./verify";
import { type LentChunk, snapshotDatabase } from "./worker";

export type CreateBackupOptions = {
  databasePath: string;
  backupDir: string;
  kind: Exclude<BackupKind, "external">;
  actor: BackupManifest["actor"];
  /** Appended to the file name, e.g. "pre-upgrade-0.1.0-to-0.2.0". */
  label?: string;
  freeSpace?: FreeSpaceProbe;
  lockWaitMs?: number;
  /** Hears the file copy as it is written (a download streams it from the temp file meanwhile). */
  observer?: CopyObserver;
};

export type CopyObserver = {
  /** The copy began: `bytes` are being written to `tempPath`, and the backup will be called `name`. */
  started: (copy: { name: string; bytes: number; tempPath: string }) => void;
  /** The first `position` bytes are in the temp file. */
  copied: (position: number) => void;
  /** A chunk as it was read, before it is in the temp file (worker.ts, LentChunk). */
  lent?: LentChunk;
  /** This backup has the snapshot lock: any other backup it waited for is done. */
  acquired?: () => void;
};

export type CreatedBackup = BackupManifest & { sha256: string; path: string };

export async function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  // The lease first, then the lock: whoever holds the lock then holds a lease too, so while a
  // restore holds the database nobody holds the lock, and its own snapshot (pre-upgrade) never
  // waits for one.
  const manifest = await withSharedLease(() =>
    withSnapshotLock(() => {
      options.observer?.acquired?.();
      return snapshotToBackupDir(options);
    }, options.lockWaitMs),
  );
  return { ...manifest, path: path.join(options.backupDir, manifest.name) };
}

async function snapshotToBackupDir(options: CreateBackupOptions): Promise<BackupManifest & { sha256: string }> {
  const { databasePath, backupDir } = options;
  const startedAt = new Date();
  ensureDir(backupDir);
  const needed = bytesNeededForSnapshot(databasePath);
  const free = (options.freeSpace ?? diskFreeBytes)(backupDir);
  if (free < needed) throw new InsufficientSpaceError(needed, free, backupDir);

  const name = backupFileName(startedAt, options.label);
  const finalPath = path.join(backupDir, name);
  const tempPath = tempPathFor(backupDir, name);
  let manifestWritten = false;
  try {
    const { observer } = options;
    const snapshot = await snapshotDatabase(databasePath, tempPath, {
      onEvent: observer
        ? (event) =>
            event.event === "copying"
              ? observer.started({ name, bytes: event.bytes, tempPath })
              : observer.copied(event.position)
        : undefined,
      onChunk: observer?.lent,
    });
    if (snapshot.fallbackReason)
      logger().warn(`snapshot ${name}: used SQLite's backup API because ${snapshot.fallbackReason}`);
    const manifest = {
      name,
      kind: options.kind,
      sha256: snapshot.sha256,
      bytes: statSync(tempPath).size,
      createdAt: startedAt.toISOString(),
      appVersion: APP_VERSION,
      lastMigration: lastAppliedMigration(tempPath),
      databaseBytes: needed,
      durationMs: Math.round(Date.now() - startedAt.getTime()),
      snapshotMethod: snapshot.method,
      ...(snapshot.fallbackReason ? { snapshotFallbackReason: snapshot.fallbackReason } : {}),
      actor: options.actor,
    };
    await writeManifest(backupDir, manifest);
    manifestWritten = true;
    await commitTempFile(tempPath, finalPath, true);
    return manifest;
  } catch (error) {
    discardTempFile(tempPath);
    if (manifestWritten) rmSync(manifestPath(backupDir, name), { force: true });
    if (isDiskFull(error)) throw new DiskFullError(backupDir);
    throw error;
  }
}
