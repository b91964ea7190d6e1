// Copies a stop interrupted (pending or uploading when the server went down) are queued again at
// start: the upload starts over, as a multipart upload cannot be resumed from another process.
import type { Config } from "../config";
import { listBackups } from "../backup/catalog";
import { readCopyState } from "./copy-state";
import { queueOffsiteCopy } from "./queue";

export function resumeOffsiteCopies(config: Pick<Config, "backupDir" | "offsite">): string[] {
  const interrupted = listBackups(config.backupDir).filter((entry) => {
    const state = readCopyState(config.backupDir, entry.name);
    return state?.status === "pending" || state?.status === "uploading";
  });
  for (const entry of interrupted) queueOffsiteCopy({ config, name: entry.name, kind: entry.kind });
  return interrupted.map((entry) => entry.name);
}
