// Where a snapshot someone is waiting for has got to, by a ticket the browser chose: waiting for
// another backup to finish, copying (bytes copied of the total), done or failed. The Diagnostics
// download (a plain form POST, so the browser's download manager gets the file) and "Back up now"
// poll it while their request runs. In memory and per process — progress, not a record.
import { processSingleton } from "../process-singleton";

export type SnapshotProgress = {
  state: "waiting" | "copying" | "done" | "failed";
  name: string | null;
  /** Total bytes of the copy, once known (the file copy knows it up front; the backup API never). */
  bytes: number | null;
  position: number;
  message: string | null;
  updatedAt: number;
};

const KEEP_MS = 10 * 60_000;
const TICKET = /^[A-Za-z0-9-]{8,64}$/;

// One per process (process-singleton.ts): the download records, the progress route reads.
const store = () => processSingleton("snapshot-progress", () => new Map<string, SnapshotProgress>());

export function isTicket(value: unknown): value is string {
  return typeof value === "string" && TICKET.test(value);
}

export type ProgressTracker = {
  acquired: () => void;
  started: (name: string, bytes: number) => void;
  copied: (position: number) => void;
  done: (name: string) => void;
  failed: (message: string) => void;
};

/** A tracker for `ticket` (starting as "waiting"), or one that records nothing without a ticket. */
export function trackSnapshot(ticket: string | null | undefined): ProgressTracker {
  const entries = store();
  const now = Date.now();
  for (const [key, entry] of entries) if (now - entry.updatedAt > KEEP_MS) entries.delete(key);
  if (!isTicket(ticket)) {
    const nothing = () => undefined;
    return { acquired: nothing, started: nothing, copied: nothing, done: nothing, failed: nothing };
  }
  const entry: SnapshotProgress = {
    state: "waiting",
    name: null,
    bytes: null,
    position: 0,
    message: null,
    updatedAt: now,
  };
  entries.set(ticket, entry);
  const update = (change: Partial<SnapshotProgress>) => Object.assign(entry, change, { updatedAt: Date.now() });
  return {
    acquired: () => update({ state: "copying" }),
    started: (name, bytes) => update({ state: "copying", name, bytes }),
    copied: (position) => update({ position }),
    done: (name) => update({ state: "done", name, position: entry.bytes ?? entry.position }),
    failed: (message) => update({ state: "failed", message }),
  };
}

export function snapshotProgress(ticket: string): SnapshotProgress | null {
  return store().get(ticket) ?? null;
}
