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
//
// The flow's store is the lease object itself, not a label, and a flow holds a lease only while
// that lease is unreleased. AsyncLocalStorage hands the store to every timer, promise and
// callback created inside the flow, for ever: a cron job armed while a request is served (croner
// re-arms itself with setTimeout), a retry, a queue's next step. Once the request's lease is
// released, such a flow holds nothing and takes a lease of its own when it next uses the
// database, waiting for a restore like anybody else; nobody has to remember to step outside.
// A use of the database inside a live shared lease (a query, a nested withSharedLease) counts
// itself on that lease instead of taking another, and the lease is released only once its
// holder and every such use have let go: work started in a request and not awaited by it stays
// covered until it ends, and a restore waits for it.
import { AsyncLocalStorage } from "node:async_hooks";
import { KnownError } from "../errors";
import { processSingleton } from "../process-singleton";

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

/**
 * One lease, held by one flow. `users`: its holder and the uses of the database counted on it
 * (shared leases); `released` once all have let go — from then on it protects nothing.
 */
type Lease = { kind: "shared" | "exclusive"; released: boolean; users: number };
type Exclusive = { since: number; ended: Promise<void>; end: () => void; lease: Lease };
type LeaseState = {
  inside: number;
  exclusive: Exclusive | null;
  onDrained: (() => void) | null;
  flow: AsyncLocalStorage<Lease>;
};

// One lease per process (process-singleton.ts).
function state(): LeaseState {
  return processSingleton<LeaseState>("database-lease", () => ({
    inside: 0,
    exclusive: null,
    onDrained: null,
    flow: new AsyncLocalStorage(),
  }));
}

/** When the exclusive lease was asked for (a restore is under way), else null. */
export function exclusiveSince(): number | null {
  return state().exclusive?.since ?? null;
}

/** The lease this flow holds now: the one in its store, unless that one has been released. */
function heldLease(s: LeaseState): Lease | null {
  const lease = s.flow.getStore();
  return lease && !lease.released ? lease : null;
}

/** Whether this asynchronous flow holds a lease (shared or exclusive) that is still unreleased. */
export function insideLease(): boolean {
  return heldLease(state()) !== null;
}

/** Throws MaintenanceError when the exclusive lease is held by someone else. For synchronous uses. */
export function assertNoExclusiveLease(): void {
  const s = state();
  if (s.exclusive && heldLease(s) !== s.exclusive.lease) throw new MaintenanceError();
}

function wait(ms: number): { elapsed: Promise<"timeout">; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return { elapsed, cancel: () => clearTimeout(timer) };
}

/** Waits (up to waitMs) for no exclusive lease, then counts one more shared lease in (no user yet). */
async function enterShared(s: LeaseState, waitMs: number): Promise<Lease> {
  const deadline = Date.now() + waitMs;
  while (s.exclusive) {
    const timer = wait(Math.max(0, deadline - Date.now()));
    const outcome = await Promise.race([s.exclusive.ended, timer.elapsed]);
    timer.cancel();
    if (outcome === "timeout" && s.exclusive) throw new MaintenanceError();
  }
  s.inside++;
  return { kind: "shared", released: false, users: 0 }; // the caller joins it at once
}

/**
 * One more user of a live lease, without waiting; returns its release (again: nothing). The last
 * release of a shared lease releases it: every flow still carrying it holds nothing from then on.
 * The exclusive lease ends with withExclusiveLease, whatever its flows still do.
 */
function join(s: LeaseState, lease: Lease): () => void {
  if (lease.kind === "exclusive") return () => {};
  lease.users++;
  let left = false;
  return () => {
    if (left) return;
    left = true;
    if (--lease.users > 0) return;
    lease.released = true;
    s.inside--;
    if (s.inside === 0) s.onDrained?.();
  };
}

/**
 * Takes a shared lease and returns its release (call it exactly once). Inside a flow that holds
 * a lease already, counts itself on that one instead (no wait: a restore waiting for the flow's
 * lease must not be waited for).
 */
export async function acquireSharedLease(waitMs = SHARED_WAIT_MS): Promise<() => void> {
  const s = state();
  const held = heldLease(s);
  if (held) return join(s, held);
  return join(s, await enterShared(s, waitMs));
}

/** Runs fn under a shared lease (see acquireSharedLease); fn's flow holds it until fn settles. */
export async function withSharedLease<T>(fn: () => Promise<T>, waitMs = SHARED_WAIT_MS): Promise<T> {
  const s = state();
  const lease = heldLease(s) ?? (await enterShared(s, waitMs));
  const release = join(s, lease);
  try {
    return await s.flow.run(lease, fn);
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
  if (heldLease(s)) throw new Error("withExclusiveLease called inside a lease: it would wait for itself");
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const lease: Lease = { kind: "exclusive", released: false, users: 1 };
  const exclusive: Exclusive = { since: Date.now(), ended, end, lease };
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
    return await s.flow.run(lease, fn);
  } finally {
    lease.released = true;
    s.exclusive = null;
    exclusive.end();
  }
}
