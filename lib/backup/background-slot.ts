// One heavy background job at a time: the verification of a stored backup (proof.ts) and an
// offsite upload attempt (lib/offsite/queue.ts) each read a whole backup, and run side by side
// they add up their memory and compete for the disk and the two cores of a small host. Backups
// and requests never take this slot: it orders background work only.
type Slot = { tail: Promise<void> };
// One per process (Next bundles each route with its own copy of this module).
const globalSlot = globalThis as unknown as { opstageBackgroundSlot?: Slot };
function slot(): Slot {
  globalSlot.opstageBackgroundSlot ??= { tail: Promise.resolve() };
  return globalSlot.opstageBackgroundSlot;
}

/** Runs fn once every background job queued before it has finished. */
export async function withBackgroundSlot<T>(fn: () => Promise<T>): Promise<T> {
  const s = slot();
  const previous = s.tail;
  let release!: () => void;
  s.tail = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}
