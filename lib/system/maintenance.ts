// While the console restores a backup, every other request is answered 503 (Retry-After): the
// database handles are closed and the file is being replaced. Process-wide (globalThis), because
// Next bundles each route separately.
export class MaintenanceError extends Error {
  readonly retryAfterSeconds = 15;
  constructor() {
    super("Opstage is restoring a backup; try again in a moment.");
    this.name = "MaintenanceError";
  }
}

const state = globalThis as unknown as { opstageRestoringSince?: number };

export function isRestoring(): boolean {
  return state.opstageRestoringSince !== undefined;
}

export function assertServing(): void {
  if (isRestoring()) throw new MaintenanceError();
}

/** Runs fn with the maintenance flag set; refuses when a restore is already running. */
export async function whileRestoring<T>(fn: () => Promise<T>): Promise<T> {
  if (isRestoring()) throw new MaintenanceError();
  state.opstageRestoringSince = Date.now();
  try {
    return await fn();
  } finally {
    state.opstageRestoringSince = undefined;
  }
}
