// One snapshot at a time per process: a second request waits for the first (up to a bound)
// instead of doubling the I/O, and is told to retry later past it.
import { KnownError } from "../errors";
import { processSingleton } from "../process-singleton";

export class BackupBusyError extends KnownError {
  constructor() {
    super("busy", "backup_in_progress", "Another backup is in progress; try again shortly.", 10);
    this.name = "BackupBusyError";
  }
}

// One per process (process-singleton.ts): the scheduler and every route that snapshots share it.
const lock = () => processSingleton<{ tail: Promise<void> }>("snapshot-lock", () => ({ tail: Promise.resolve() }));

export async function withSnapshotLock<T>(fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const shared = lock();
  const previous = shared.tail;
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  shared.tail = previous.then(() => mine);
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
