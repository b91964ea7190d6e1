// The backups folder as a list: every regular `*.db` file, described by its manifest, or as
// `external` when it has none (copied in by hand).
import { lstatSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { backupPath, isSafeBackupName } from "./files";
import { manifestPath, readManifest, type BackupKind, type Verification } from "./manifest";

export type BackupEntry = {
  name: string;
  kind: BackupKind;
  createdAt: string;
  bytes: number;
  sha256: string | null;
  databaseBytes: number | null;
  appVersion: string | null;
  lastMigration: string | null;
  actorLabel: string | null;
  verification: Verification | null;
};

export function listBackups(backupDir: string): BackupEntry[] {
  let names: string[];
  try {
    names = readdirSync(backupDir);
  } catch {
    return [];
  }
  const entries: BackupEntry[] = [];
  for (const name of names) {
    if (!name.endsWith(".db") || !isSafeBackupName(name)) continue;
    const stats = lstatSync(path.join(backupDir, name), { throwIfNoEntry: false });
    if (!stats?.isFile()) continue; // symlinks and folders are not backups
    const manifest = readManifest(backupDir, name);
    entries.push(
      manifest
        ? {
            name,
            kind: manifest.kind,
            createdAt: manifest.createdAt,
            bytes: stats.size,
            sha256: manifest.sha256,
            databaseBytes: manifest.databaseBytes,
            appVersion: manifest.appVersion,
            lastMigration: manifest.lastMigration,
            actorLabel: manifest.actor.label,
            verification: manifest.verification ?? null,
          }
        : {
            name,
            kind: "external",
            createdAt: stats.mtime.toISOString(),
            bytes: stats.size,
            sha256: null,
            databaseBytes: null,
            appVersion: null,
            lastMigration: null,
            actorLabel: null,
            verification: null,
          },
    );
  }
  return entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
}

/** A backup that counts: made by Opstage and not found bad, or verified restorable. */
export function isGoodBackup(entry: BackupEntry): boolean {
  if (entry.verification) return entry.verification.restorable;
  return entry.kind !== "external";
}

/** A backup known to be good: verified restorable (a backup not verified yet is not known). */
export function isProvenGood(entry: BackupEntry): boolean {
  return entry.verification?.restorable === true;
}

/** Deletes a backup, its manifest and its offsite copy state (the offsite copy itself stays). */
export function deleteBackup(backupDir: string, name: string): void {
  const file = backupPath(backupDir, name);
  rmSync(file);
  rmSync(manifestPath(backupDir, name), { force: true });
  rmSync(`${file}.offsite.json`, { force: true });
}
