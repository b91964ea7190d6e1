// Who may use the database right now. Every use of the live database — a request, a scheduled
// run, a snapshot, each query Prisma sends — holds a shared lease; replacing the file (a restore
// from the console) takes the exclusive lease: new users wait for it (or get MaintenanceError,
// answered 503 with Retry-After), users already inside are counted down to zero, then the file
// is swapped and every handle reopened while nobody can be holding an old one.
//
// A lease is re-entrant within one asynchronous flow (AsyncLocalStorage): a request that holds
// one runs its Prisma queries without taking another, and the restore itself may use the
// database while it holds the exclusive lease. Without that, a request's second query would
// queue behind a waiting restore that is waiting for the request: a deadlock.
import { AsyncLocalStorage } from "node:async_hooks";
import { KnownError } from "../errors";

export class MaintenanceError extends KnownError {
  constructor() {
    super("unavailable", "restoring", "Opstage is restoring a backup; try again in a moment.", 15);
    this.name = "MaintenanceError";
  }
}

/** The exclusive lease could not be had: another restore, or requests still running after the drain time. */
export class LeaseBusyError extends KnownError {
  constructor(message: string) {
    super("conflict", "restore_busy", message, 30);
    this.name = "LeaseBusyError";
  }
}

/** How long a request waits for a restore to finish before it is answered 503. */
export const SHARED_WAIT_MS = 10_000;
/** How long a restore waits for the requests inside to finish before it gives up. */
export const EXCLUSIVE_DRAIN_MS = 60_000;

type Exclusive = { since: number; ended: Promise<void>; end: () => void };
type LeaseState = {
  inside: number;
  exclusive: Exclusive | null;
  onDrained: (() => void) | null;
  flow: AsyncLocalStorage<"shared" | "exclusive">;
};

// On globalThis: Next bundles each route (and instrumentation) with its own copy of this module,
// and there must be one lease per process.
const global = globalThis as unknown as { opstageDatabaseLease?: LeaseState };
function state(): LeaseState {
  global.opstageDatabaseLease ??= { inside: 0, exclusive: null, onDrained: null, flow: new AsyncLocalStorage() };
  return global.opstageDatabaseLease;
}

/** When the exclusive lease was asked for (a restore is under way), else null. */
export function exclusiveSince(): number | null {
  return state().exclusive?.since ?? null;
}

/** Whether this asynchronous flow holds a lease (shared or exclusive). */
export function insideLease(): boolean {
  return state().flow.getStore() !== undefined;
}

/** Throws MaintenanceError when the exclusive lease is held by someone else. For synchronous uses. */
export function assertNoExclusiveLease(): void {
  const s = state();
  if (s.exclusive && s.flow.getStore() !== "exclusive") throw new MaintenanceError();
}

function wait(ms: number): { elapsed: Promise<"timeout">; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return { elapsed, cancel: () => clearTimeout(timer) };
}

/**
 * Takes a shared lease and returns its release (call it exactly once). Inside a flow that holds
 * a lease already, returns a release that does nothing.
 */
export async function acquireSharedLease(waitMs = SHARED_WAIT_MS): Promise<() => void> {
  const s = state();
  if (s.flow.getStore()) return () => {};
  const deadline = Date.now() + waitMs;
  while (s.exclusive) {
    const timer = wait(Math.max(0, deadline - Date.now()));
    const outcome = await Promise.race([s.exclusive.ended, timer.elapsed]);
    timer.cancel();
    if (outcome === "timeout" && s.exclusive) throw new MaintenanceError();
  }
  s.inside++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    s.inside--;
    if (s.inside === 0) s.onDrained?.();
  };
}

/** Runs fn under a shared lease (see acquireSharedLease). */
export async function withSharedLease<T>(fn: () => Promise<T>, waitMs = SHARED_WAIT_MS): Promise<T> {
  const s = state();
  if (s.flow.getStore()) return fn();
  const release = await acquireSharedLease(waitMs);
  try {
    return await s.flow.run("shared", fn);
  } finally {
    release();
  }
}

/**
 * Runs fn alone: new shared leases wait from now on, and fn starts once every lease held now
 * has been released. Throws LeaseBusyError, having changed nothing, when another exclusive lease
 * is under way or the users inside do not finish within drainMs.
 */
export async function withExclusiveLease<T>(fn: () => Promise<T>, drainMs = EXCLUSIVE_DRAIN_MS): Promise<T> {
  const s = state();
  if (s.exclusive) throw new LeaseBusyError("A restore is already in progress; nothing was changed.");
  if (s.flow.getStore()) throw new Error("withExclusiveLease called inside a lease: it would wait for itself");
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const exclusive: Exclusive = { since: Date.now(), ended, end };
  s.exclusive = exclusive;
  try {
    if (s.inside > 0) {
      const drained = new Promise<"drained">((resolve) => (s.onDrained = () => resolve("drained")));
      const timer = wait(drainMs);
      const outcome = await Promise.race([drained, timer.elapsed]);
      timer.cancel();
      s.onDrained = null;
      if (outcome === "timeout" && s.inside > 0) {
        throw new LeaseBusyError(
          `${s.inside} request(s) were still using the database after ${Math.round(drainMs / 1000)} s ` +
            `(a large backup in progress?). Nothing was changed; try again when it has finished.`,
        );
      }
    }
    return await s.flow.run("exclusive", fn);
  } finally {
    s.exclusive = null;
    exclusive.end();
  }
}

/**
 * Runs fn outside any lease's flow: for work that outlives the request that started it (an
 * offsite copy in the background). Inside the request's flow its queries would skip taking a
 * lease of their own after the request's had been released, and could run during a swap.
 */
export function runOutsideLease<T>(fn: () => T): T {
  return state().flow.exit(fn);
}
