// The app's Prisma client: one per process, over the better-sqlite3 driver adapter (Prisma 7 has
// no query engine of its own). Kept on globalThis so `next dev` reloads do not open new handles.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { getConfig } from "../config";
import { PrismaClient } from "../generated/prisma/client";
import { BUSY_TIMEOUT_MS } from "./sqlite";

// The adapter opens its own better-sqlite3 connection and applies no PRAGMAs. foreign_keys is
// per connection (off by default), so it is switched on here for every connection it makes.
function withConnectionPragmas(factory: PrismaBetterSqlite3): SqlDriverAdapterFactory {
  const prepare = async (adapter: SqlDriverAdapter) => {
    await adapter.executeScript("PRAGMA foreign_keys = ON;");
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => prepare(await factory.connect()),
  };
}

export function createPrismaClient(databasePath: string): PrismaClient {
  const factory = new PrismaBetterSqlite3({ url: `file:${databasePath}`, timeout: BUSY_TIMEOUT_MS });
  return new PrismaClient({ adapter: withConnectionPragmas(factory) });
}

const globalForPrisma = globalThis as unknown as { opstagePrisma?: PrismaClient };

export function getPrisma(): PrismaClient {
  globalForPrisma.opstagePrisma ??= createPrismaClient(getConfig().databasePath);
  return globalForPrisma.opstagePrisma;
}

/**
 * Closes the client's connection and forgets it, so that the next getPrisma() opens the database
 * file anew (after a restore replaced it).
 */
export async function resetPrisma(): Promise<void> {
  const client = globalForPrisma.opstagePrisma;
  globalForPrisma.opstagePrisma = undefined;
  await client?.$disconnect();
}
