// Each backup's offsite copy state, kept beside it as `<name>.offsite.json` (not in the
// database: a restore must not turn back what was copied where, and the state of a backup
// belongs with the backup). Written atomically; the upload's percentage is kept in memory only.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { commitTempFile, discardTempFile, tempPathFor } from "../backup/files";
import { processSingleton } from "../process-singleton";
import type { OffsiteCopyState } from "./copy-status";

export type { OffsiteCopyState } from "./copy-status";

function statePath(backupDir: string, name: string): string {
  return path.join(/* turbopackIgnore: true */ backupDir, `${name}.offsite.json`);
}

// One per process (process-singleton.ts): the copy runs in one bundle, the list is read in another.
const progress = () => processSingleton("offsite-upload-progress", () => new Map<string, number>());

export function setUploadPercent(name: string, percent: number | null): void {
  if (percent === null) progress().delete(name);
  else progress().set(name, percent);
}

export function readCopyState(backupDir: string, name: string): OffsiteCopyState | null {
  const file = statePath(backupDir, name);
  if (!existsSync(file)) return null;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as OffsiteCopyState;
    const percent = progress().get(name);
    return state.status === "uploading" && percent !== undefined ? { ...state, percent } : state;
  } catch {
    return null;
  }
}

export async function writeCopyState(backupDir: string, name: string, state: OffsiteCopyState): Promise<void> {
  const tempPath = tempPathFor(backupDir, `${name}.offsite.json`);
  try {
    await writeFile(tempPath, `${JSON.stringify(state, null, 2)}\n`);
    await commitTempFile(tempPath, statePath(backupDir, name));
  } catch (error) {
    discardTempFile(tempPath);
    throw error;
  }
}

/** The backups that have a copy state (their names), whether or not the backup is still there. */
export function listCopyStateNames(backupDir: string): string[] {
  try {
    return readdirSync(backupDir)
      .filter((file) => file.endsWith(".db.offsite.json"))
      .map((file) => file.slice(0, -".offsite.json".length));
  } catch {
    return [];
  }
}

export function removeCopyState(backupDir: string, name: string): void {
  rmSync(statePath(backupDir, name), { force: true });
}
