// Guards prisma/schema.prisma against drift from prisma/migrations, two ways: Prisma's own
// schema engine (wasm) diffs the migrations against the schema, and the generated client runs
// against a database built by our migrator.
import assert from "node:assert/strict";
import { cpSync, rmSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { createPrismaClient } from "../../lib/db/prisma";
import { openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { shippedMigrationsDir } from "../support/migrations";
import { tempDir } from "../support/temp";

// Loaded lazily: instantiating the engine's wasm takes a moment.
const engine = import("../../scripts/lib/schema-engine.mjs");

const EMPTY = "-- This is an empty migration.";

test("the migrations produce exactly schema.prisma (schema-engine diff is empty)", async () => {
  const { diffMigrationsToSchema } = await engine;
  const result = await diffMigrationsToSchema(shippedMigrationsDir);
  assert.equal(result.stdout?.trim(), EMPTY, `schema.prisma differs from the migrations:\n${result.stdout}`);
});

test("the diff does see a schema change that has no migration", async () => {
  const { diffMigrationsToSchema } = await engine;
  const dir = tempDir();
  const migrations = path.join(dir, "migrations");
  cpSync(shippedMigrationsDir, migrations, { recursive: true });
  // Drop the newest migration: the schema now has something the migrations lack.
  rmSync(path.join(migrations, readMigrationFiles(migrations).at(-1)!.name), { recursive: true });
  const result = await diffMigrationsToSchema(migrations);
  assert.notEqual(result.stdout?.trim(), EMPTY);
  assert.match(result.stdout ?? "", /CREATE (TABLE|INDEX)|ALTER TABLE/);
});

test("the generated client reads and writes every model on a migrated database", async () => {
  const dir = tempDir();
  const file = path.join(dir, "opstage.db");
  const db = openDatabase(file);
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  db.close();
  const { client: prisma } = createPrismaClient(file);
  try {
    const user = await prisma.user.create({
      data: { username: "drift", passwordHash: "x", displayName: "Drift", role: "operator", lastLoginAt: new Date() },
    });
    await prisma.auditEvent.create({
      data: {
        actorType: "USER",
        actorId: user.id,
        action: "test",
        result: "SUCCESS",
        targetType: "t",
        targetId: "1",
        message: "m",
        ipAddress: "127.0.0.1",
        userAgent: "ua",
        metadataJson: "{}",
      },
    });
    await prisma.systemSetting.create({ data: { key: "k", valueJson: "1" } });
    assert.equal((await prisma.user.findUniqueOrThrow({ where: { username: "drift" } })).role, "operator");
    assert.equal(await prisma.auditEvent.count({ where: { actorId: user.id } }), 1);
    assert.equal((await prisma.systemSetting.findUniqueOrThrow({ where: { key: "k" } })).valueJson, "1");
  } finally {
    await prisma.$disconnect();
  }
});
