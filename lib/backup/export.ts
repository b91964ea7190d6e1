// An online snapshot written to any path (the CLI's `backup --out FILE`), with the same atomic
// discipline as stored backups: temp file beside the target, fsync, rename. Never overwrites.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { commitTempFile, discardTempFile, tempPathFor } from "./files";
import { withSnapshotLock } from "./lock";
import { snapshotDatabase, type SnapshotResult } from "./worker";

export async function snapshotToFile(
  databasePath: string,
  outFile: string,
): Promise<SnapshotResult & { bytes: number }> {
  const target = path.resolve(outFile);
  if (existsSync(target)) throw new Error(`${target} already exists; choose another name (nothing is overwritten).`);
  if (!existsSync(path.dirname(target))) throw new Error(`The folder ${path.dirname(target)} does not exist.`);
  return withSnapshotLock(async () => {
    const tempPath = tempPathFor(path.dirname(target), path.basename(target));
    try {
      const result = await snapshotDatabase(databasePath, tempPath);
      await commitTempFile(tempPath, target, true);
      return { ...result, bytes: statSync(target).size };
    } catch (error) {
      discardTempFile(tempPath);
      throw error;
    }
  });
}
