// What a crash can leave in the backup folder that start-up puts right (besides temp files and
// orphan manifests, files.ts).
import { lstatSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { listBackups } from "./catalog";
import { isSafeBackupName } from "./files";
import { manifestPath, readManifest } from "./manifest";
import { completeManifestHash } from "./restore";

// What restore.ts names the database it replaces: backupFileName(at, "pre-restore").
const PRE_RESTORE_NAME = /^opstage-\d{8}T\d{6}\.\d{3}Z-pre-restore\.db$/;

/**
 * Removes pre-restore backups that are still the live database itself: a restore writes the
 * pre-restore manifest, then links the database it replaces into the backup folder just before
 * the swap (restore.ts), so a crash in between leaves a "backup" that would change with every
 * write. The live database keeps its data; the restore did not happen. Returns the names removed.
 *
 * A file is removed only when all of these prove it is such a link: a pre-restore backup's name, a
 * manifest that says pre-restore, the live database's inode, and a path that is not the live
 * database's own. Anything else sharing the inode (a folder misconfigured onto the data folder, a
 * hand-made link) is left alone: removing the live file would lose the database.
 */
export function removeLinksToDatabase(backupDir: string, databasePath: string): string[] {
  const live = statSync(databasePath, { throwIfNoEntry: false });
  if (!live) return [];
  const liveReal = realpathSync(databasePath);
  let names: string[];
  try {
    names = readdirSync(backupDir).filter((name) => PRE_RESTORE_NAME.test(name) && isSafeBackupName(name));
  } catch {
    return [];
  }
  const linked = names.filter((name) => {
    const file = path.join(/* turbopackIgnore: true */ backupDir, name);
    const stats = lstatSync(file, { throwIfNoEntry: false });
    if (!stats?.isFile() || stats.ino !== live.ino || stats.dev !== live.dev) return false;
    if (realpathSync(file) === liveReal) return false;
    return readManifest(backupDir, name)?.kind === "pre-restore";
  });
  for (const name of linked) {
    rmSync(path.join(/* turbopackIgnore: true */ backupDir, name));
    rmSync(manifestPath(backupDir, name), { force: true });
  }
  return linked;
}

/**
 * Fills in the sha256 of manifests that lack it (a pre-restore backup kept by a CLI restore, or
 * by a console restore stopped before it hashed it, or manifests written by older versions), so
 * that every backup can be checked against what it was. Never throws: it logs.
 */
export async function completeUnhashedBackups(backupDir: string, log: (message: string) => void): Promise<void> {
  for (const entry of listBackups(backupDir).filter((backup) => backup.sha256 === null && backup.kind !== "external")) {
    try {
      if (await completeManifestHash(backupDir, entry.name))
        log(`recorded the sha256 of ${entry.name} in its manifest`);
    } catch (error) {
      log(`could not hash ${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
