// The app's Prisma client: one per process, over the better-sqlite3 driver adapter (Prisma 7 has
// no query engine of its own), for the whole life of the process — also across a restore, which
// replaces the database file under it.
//
// Why a wrapper around the adapter: the PrismaClient object is held by every module that
// imported it, so it can never be swapped for a new one after a restore (a stale client kept
// writing into the replaced, deleted file). Instead the client talks to LeasedAdapter, which
// (1) takes a shared database lease (lease.ts) for each query and each transaction, so that a
// restore waits for them and they wait for a restore, and (2) opens its better-sqlite3
// connection lazily and can close it (closePrismaConnection), so that the next query opens
// whatever file is at the path then.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import { getConfig } from "../config";
import { PrismaClient } from "../generated/prisma/client";
import { existingProcessSingleton, processSingleton } from "../process-singleton";
import { acquireSharedLease } from "./lease";
import { BUSY_TIMEOUT_MS, connectionPragmas } from "./sqlite";

async function openConnection(databasePath: string): Promise<SqlDriverAdapter> {
  const factory = new PrismaBetterSqlite3({ url: `file:${databasePath}`, timeout: BUSY_TIMEOUT_MS });
  const adapter = await factory.connect();
  // The adapter applies no PRAGMAs of its own, and these are per connection: without them
  // Prisma's writes (users, tokens, settings, audit) would commit with synchronous=NORMAL (this
  // build of SQLite's WAL default) and without foreign keys.
  await adapter.executeScript(
    connectionPragmas()
      .map((pragma) => `PRAGMA ${pragma};`)
      .join("\n"),
  );
  return adapter;
}

async function leased<T>(run: () => Promise<T>): Promise<T> {
  const release = await acquireSharedLease();
  try {
    return await run();
  } finally {
    release();
  }
}

/** A transaction that releases its lease when it ends. */
function leasedTransaction(inner: Transaction, release: () => void): Transaction {
  const end = async (finish: () => Promise<void>) => {
    try {
      await finish();
    } finally {
      release();
    }
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    options: inner.options,
    queryRaw: (query) => inner.queryRaw(query),
    executeRaw: (query) => inner.executeRaw(query),
    commit: () => end(() => inner.commit()),
    rollback: () => end(() => inner.rollback()),
    createSavepoint: inner.createSavepoint && ((name) => inner.createSavepoint!(name)),
    rollbackToSavepoint: inner.rollbackToSavepoint && ((name) => inner.rollbackToSavepoint!(name)),
    releaseSavepoint: inner.releaseSavepoint && ((name) => inner.releaseSavepoint!(name)),
  };
}

class LeasedAdapter implements SqlDriverAdapter {
  readonly provider = "sqlite";
  readonly adapterName = "opstage-leased-better-sqlite3";
  #connection: Promise<SqlDriverAdapter> | null = null;

  constructor(private readonly databasePath: string) {}

  private connection(): Promise<SqlDriverAdapter> {
    this.#connection ??= openConnection(this.databasePath).catch((error: unknown) => {
      this.#connection = null;
      throw error;
    });
    return this.#connection;
  }

  queryRaw(query: SqlQuery) {
    return leased(async () => (await this.connection()).queryRaw(query));
  }

  executeRaw(query: SqlQuery) {
    return leased(async () => (await this.connection()).executeRaw(query));
  }

  executeScript(script: string) {
    return leased(async () => (await this.connection()).executeScript(script));
  }

  async startTransaction(isolationLevel?: Parameters<SqlDriverAdapter["startTransaction"]>[0]) {
    const release = await acquireSharedLease();
    try {
      return leasedTransaction(await (await this.connection()).startTransaction(isolationLevel), release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Closes the connection; the next query opens the file at the path anew. */
  async dispose(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (connection) await (await connection).dispose();
  }
}

export function createPrismaClient(databasePath: string): { client: PrismaClient; adapter: LeasedAdapter } {
  const adapter = new LeasedAdapter(databasePath);
  const factory: SqlDriverAdapterFactory = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    connect: async () => adapter,
  };
  return { client: new PrismaClient({ adapter: factory }), adapter };
}

function processClient() {
  return processSingleton("prisma", () => createPrismaClient(getConfig().databasePath));
}

export function getPrisma(): PrismaClient {
  return processClient().client;
}

/**
 * Closes the connection under the process's client, which stays usable: its next query opens
 * the database file anew (after a restore replaced it). Only for the holder of the exclusive
 * lease (runtime.ts), so that no query is running on the connection meanwhile.
 */
export async function closePrismaConnection(): Promise<void> {
  await existingProcessSingleton<ReturnType<typeof createPrismaClient>>("prisma")?.adapter.dispose();
}
