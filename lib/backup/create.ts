// Makes a stored backup: snapshot into a temp file in the backup folder, then commit it under
// its final name (see files.ts). Callers get the final path and can stream or keep it.
import { statSync } from "node:fs";
import path from "node:path";
import { backupFileName, commitTempFile, discardTempFile, ensureDir, tempPathFor } from "./files";
import { snapshotDatabase } from "./snapshot";

export type CreatedBackup = { name: string; path: string; bytes: number; durationMs: number };

export async function createBackup(databasePath: string, backupDir: string): Promise<CreatedBackup> {
  const startedAt = performance.now();
  ensureDir(backupDir);
  const name = backupFileName();
  const finalPath = path.join(backupDir, name);
  const tempPath = tempPathFor(backupDir, name);
  try {
    await snapshotDatabase(databasePath, tempPath);
    commitTempFile(tempPath, finalPath);
  } catch (error) {
    discardTempFile(tempPath);
    throw error;
  }
  return {
    name,
    path: finalPath,
    bytes: statSync(finalPath).size,
    durationMs: Math.round(performance.now() - startedAt),
  };
}
