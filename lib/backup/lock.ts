// One snapshot at a time per process: a second request waits for the first (up to a bound)
// instead of doubling the I/O, and is told to retry later past it.
import { KnownError } from "../errors";

export class BackupBusyError extends KnownError {
  constructor() {
    super("busy", "backup_in_progress", "Another backup is in progress; try again shortly.", 10);
    this.name = "BackupBusyError";
  }
}

// On globalThis, not in a module variable: Next bundles each route (and instrumentation, which
// runs the scheduler) separately, each with its own copy of this module, and the lock must be
// one per process.
const shared = globalThis as unknown as { opstageSnapshotTail?: Promise<void> };

export async function withSnapshotLock<T>(fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const previous = shared.opstageSnapshotTail ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  shared.opstageSnapshotTail = previous.then(() => mine);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), waitMs)));
  const outcome = await Promise.race([previous.then(() => "acquired" as const), timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    // Give up our place: whoever queued behind us proceeds when `previous` settles.
    void previous.then(release);
    throw new BackupBusyError();
  }
  try {
    return await fn();
  } finally {
    release();
  }
}
