// Reading a SystemSetting row (JSON by key) and whether any user exists, through the server's raw
// handle rather than Prisma: the start-up path and /api/health read them, and Prisma's first
// query initialises its query compiler (WebAssembly), about 0.2 s of the one JS thread, before
// the server can answer. Writes stay with Prisma. Like each Prisma query, each read holds
// a shared lease: it waits for a restore under way, and a restore waits for it.
import { getAppDatabaseInLease } from "./app-database";
import { withSharedLease } from "./lease";

/** The parsed value of SystemSetting `key`, or null when the row is absent. */
export function readSystemSetting<T>(key: string): Promise<T | null> {
  return withSharedLease(async () => {
    const row = getAppDatabaseInLease().prepare(`SELECT valueJson FROM "SystemSetting" WHERE key = ?`).get(key) as
      { valueJson: string } | undefined;
    return row ? (JSON.parse(row.valueJson) as T) : null;
  });
}

export function anyUserExists(): Promise<boolean> {
  return withSharedLease(
    async () => getAppDatabaseInLease().prepare(`SELECT 1 FROM "User" LIMIT 1`).get() !== undefined,
  );
}
