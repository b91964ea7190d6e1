// The database's lifetime, in one place. Everything that uses the live database goes through
// lib/db: Prisma's client (prisma.ts), the raw handle (app-database.ts) and the snapshot's held
// descriptor (database-file.ts) — each under a lease (lease.ts). Replacing the file is the one
// operation that needs all of them let go at once: withDatabaseReleased.
import { closeAppDatabase } from "./app-database";
import { withExclusiveLease } from "./lease";
import { closePrismaConnection } from "./prisma";
import { checkpointTruncate } from "./sqlite";

/**
 * Runs fn once no request, scheduled run or snapshot is using the database, with this process's
 * connections closed (the WAL checkpointed first). Requests arriving meanwhile wait, and get 503
 * past SHARED_WAIT_MS. Inside fn the file may be replaced; the next use of getPrisma() or
 * getAppDatabase() — fn's own included — opens whatever file is at the path then, and the held
 * snapshot descriptor follows the path's inode by itself.
 */
export async function withDatabaseReleased<T>(fn: () => Promise<T>): Promise<T> {
  return withExclusiveLease(async () => {
    await closePrismaConnection();
    closeAppDatabase(checkpointTruncate);
    return fn();
  });
}
