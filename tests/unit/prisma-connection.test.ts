// Prisma's connection, through Prisma itself: it commits durably, and it follows the database
// file when a restore replaces it.
import assert from "node:assert/strict";
import { copyFileSync, renameSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { createPrismaClient } from "../../lib/db/prisma";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

function migratedDatabase(dir: string, username: string): string {
  const file = path.join(dir, `${username}.db`);
  const db = openDatabase(file);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  db.prepare(
    `INSERT INTO "User" (id, username, passwordHash, displayName, role, status, updatedAt) VALUES (?, ?, 'x', ?, 'owner', 'ACTIVE', CURRENT_TIMESTAMP)`,
  ).run(username, username, username);
  db.close();
  return file;
}

test("Prisma's connection commits with synchronous=FULL and foreign keys on, like every raw handle", async () => {
  const file = migratedDatabase(tempDir(), "ann");
  // WAL mode, as the server runs it: this build of SQLite defaults to NORMAL only there.
  const wal = openDatabase(file);
  enableWal(wal);
  wal.close();
  const { client } = createPrismaClient(file);
  try {
    const [synchronous] = await client.$queryRawUnsafe<{ synchronous: bigint | number }[]>("PRAGMA synchronous");
    assert.equal(Number(synchronous!.synchronous), 2, "2 = FULL: every commit is fsync'ed before it is acknowledged");
    const [foreignKeys] = await client.$queryRawUnsafe<{ foreign_keys: bigint | number }[]>("PRAGMA foreign_keys");
    assert.equal(Number(foreignKeys!.foreign_keys), 1);
  } finally {
    await client.$disconnect();
  }
  const raw = openDatabase(file);
  assert.equal(raw.pragma("synchronous", { simple: true }), 2);
  raw.close();
});

test("after its connection is closed, the same client reads and writes the file now at the path", async () => {
  const dir = tempDir();
  const live = migratedDatabase(dir, "ann");
  const replacement = migratedDatabase(dir, "bob");
  const { client, adapter } = createPrismaClient(live);
  try {
    assert.deepEqual(
      (await client.user.findMany()).map((user) => user.username),
      ["ann"],
    );
    copyFileSync(replacement, `${live}.new`);
    renameSync(`${live}.new`, live); // what a restore does
    await adapter.dispose();
    assert.deepEqual(
      (await client.user.findMany()).map((user) => user.username),
      ["bob"],
    );
    await client.systemSetting.create({ data: { key: "after", valueJson: "1" } });
  } finally {
    await client.$disconnect();
  }
  const check = openDatabase(live, { readonly: true });
  assert.equal(
    (check.prepare(`SELECT count(*) AS n FROM SystemSetting WHERE key = 'after'`).get() as { n: number }).n,
    1,
  );
  check.close();
});
