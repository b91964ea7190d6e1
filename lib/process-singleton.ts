// One instance per process for state that every part of the server must share: the database
// lease, connections, queues, the scheduler, the services registry, the logger.
//
// Why on globalThis and not in a module variable: Next bundles each route (App Router and Pages
// Router alike) and instrumentation.ts separately, and each bundle evaluates its own copy of every
// module it imports. A module variable would then be one per bundle — a second scheduler armed by
// the schedule route, a lease that the restore route takes while the other routes' queries count
// themselves in another — while the process, the database file and its locks are one. The key
// names the state on globalThis; the first caller creates it.
const shared = globalThis as unknown as { opstage?: Map<string, unknown> };

/** The process's one instance of `key`, created by `create` on first use. */
export function processSingleton<T>(key: string, create: () => T): T {
  const instances = (shared.opstage ??= new Map());
  if (!instances.has(key)) instances.set(key, create());
  return instances.get(key) as T;
}

/** The process's instance of `key` if one was created, without creating it. */
export function existingProcessSingleton<T>(key: string): T | undefined {
  return shared.opstage?.get(key) as T | undefined;
}
