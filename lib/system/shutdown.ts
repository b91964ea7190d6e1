// A clean stop at SIGTERM (docker stop) or SIGINT (Ctrl-C): exit 0 within Docker's 10 s, with
// nothing half-written under a final name.
//
// Next.js handles these signals itself unless NEXT_MANUAL_SIG_HANDLE is set: it closes its HTTP
// server, waits for the requests under way, then exits with 128 + the signal's number — knowing
// nothing of the services, so a scheduled snapshot or Litestream's final sync would be cut off at
// a moment nobody chose. `opstage serve` sets NEXT_MANUAL_SIG_HANDLE (cli/opstage.ts) and the
// stop is ours:
// 1. stop the services in reverse order (services.ts): the scheduler waits for its run in
//    progress, Litestream makes its final sync;
// 2. take the exclusive database lease: requests already using the database finish, new ones
//    wait (and are cut off by the exit);
// 3. exit 0: the 'exit' listener (startup.ts) checkpoints the WAL and closes the database.
// Past STOP_BUDGET_MS the process exits anyway: whatever was cut off is a file under a temporary
// name (removed at the next start) or an uncommitted transaction, which SQLite discards.
import { acquireSharedLease, exclusiveSince, withExclusiveLease } from "../db/lease";
import { logger } from "../log";
import { processSingleton } from "../process-singleton";
import { stopServices } from "./services";

/** Under Docker's 10 s between SIGTERM and SIGKILL, with room for the exit's checkpoint. */
export const STOP_BUDGET_MS = 8000;

/** Installs the handlers, once per process. */
export function stopOnSignals(): void {
  const handlers = processSingleton("signal-handlers", () => ({ installed: false, stopping: false }));
  if (handlers.installed) return;
  handlers.installed = true;
  const stop = (signal: NodeJS.Signals) => {
    if (handlers.stopping) return; // a second Ctrl-C, or both signals
    handlers.stopping = true;
    void stopAndExit(signal);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function stopAndExit(signal: NodeJS.Signals): Promise<never> {
  const deadline = Date.now() + STOP_BUDGET_MS;
  const left = () => Math.max(0, deadline - Date.now());
  logger().info(`${signal}: stopping the services, then the database`);
  setTimeout(() => {
    logger().warn(`still stopping after ${STOP_BUDGET_MS / 1000} s; exiting now`);
    process.exit(0);
  }, STOP_BUDGET_MS);
  try {
    await stopServices();
    // A restore under way ends first (its swap is one rename, but its migration and audit follow).
    if (exclusiveSince() !== null) (await acquireSharedLease(left()))();
    await withExclusiveLease(async () => process.exit(0), left());
  } catch (error) {
    logger().warn(`stopping: ${(error as Error).message}; exiting now`);
  }
  process.exit(0);
}
