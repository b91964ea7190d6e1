// What a crash can leave in the backup folder that start-up puts right (besides temp files and
// orphan manifests, files.ts).
import { lstatSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { listBackups } from "./catalog";
import { isSafeBackupName } from "./files";
import { manifestPath } from "./manifest";
import { completeManifestHash } from "./restore";

/**
 * Removes backup files that are the live database itself: a restore links the database it
 * replaces into the backup folder just before the swap (restore.ts), so a crash in between
 * leaves a "backup" that would change with every write. The live database keeps its data; the
 * restore did not happen. Returns the names removed.
 */
export function removeLinksToDatabase(backupDir: string, databasePath: string): string[] {
  const live = statSync(databasePath, { throwIfNoEntry: false });
  if (!live) return [];
  let names: string[];
  try {
    names = readdirSync(backupDir).filter((name) => name.endsWith(".db") && isSafeBackupName(name));
  } catch {
    return [];
  }
  const linked = names.filter((name) => {
    const stats = lstatSync(path.join(/* turbopackIgnore: true */ backupDir, name), { throwIfNoEntry: false });
    return stats?.isFile() && stats.ino === live.ino && stats.dev === live.dev;
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
