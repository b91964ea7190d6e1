// Copies a stop interrupted (pending or uploading when the server went down) are queued again at
// start: the upload starts over, as a multipart upload cannot be resumed from another process.
import type { Config } from "../config";
import { listBackups } from "../backup/catalog";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import type { Service } from "../service";
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

/**
 * The offsite copy queue. Its start queues again, once per process, the copies an earlier life
 * left unfinished (after a restore's pause, this life's copies are still queued). Its stop waits
 * for nothing: a copy reads a stored backup, never the live database, and takes a lease per query,
 * so a restore need not wait for it; at exit, its state on disk ("uploading") makes the next
 * start queue it again, and an interrupted multipart upload leaves no object under its key.
 */
export const offsiteCopyService: Service = {
  name: "offsite copy queue",
  start(config) {
    const resumed = processSingleton("offsite-resumed", () => ({ done: false }));
    if (resumed.done) return;
    resumed.done = true;
    const names = resumeOffsiteCopies(config);
    if (names.length > 0)
      logger().info(`offsite copies interrupted by the last stop queued again: ${names.join(", ")}`);
  },
  stop() {},
};
