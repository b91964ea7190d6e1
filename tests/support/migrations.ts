// Builds migrations folders for the migrator tests: the real shipped ones, plus made-up ones.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { configureForCli } from "../../lib/config";
import { enableWal, openDatabase } from "../../lib/db/sqlite";
import { applyPendingMigrations } from "../../lib/migrate/apply";
import { readMigrationFiles } from "../../lib/migrate/files";
import { projectRoot, standaloneDir } from "./server";
import { tempDir } from "./temp";

export const shippedMigrationsDir = path.join(projectRoot, "prisma/migrations");

export function copyShippedMigrations(target: string): string {
  cpSync(shippedMigrationsDir, target, { recursive: true });
  return target;
}

export function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, "migration.sql"), sql);
}

/** A copy of the built app whose migrations end with one more, `name` (for slow or failing ones). */
export function buildWithExtraMigration(name: string, sql: string): string {
  const appDir = path.join(tempDir("opstage-app-"), "app");
  cpSync(standaloneDir, appDir, { recursive: true });
  addMigration(path.join(appDir, "prisma/migrations"), name, sql);
  return appDir;
}

/**
 * A fresh data dir whose opstage.db has every shipped migration (WAL mode) and the setting
 * k = {"a":1}, configured as this process's (OPSTAGE_DATA_DIR), for tests of lib/db.
 */
export function migratedDataDir(): string {
  const dataDir = tempDir();
  process.env.OPSTAGE_DATA_DIR = dataDir;
  configureForCli();
  const db = openDatabase(path.join(dataDir, "opstage.db"));
  applyPendingMigrations(db, readMigrationFiles(shippedMigrationsDir));
  enableWal(db);
  db.prepare(
    `INSERT INTO "SystemSetting" (key, valueJson, updatedAt) VALUES ('k', '{"a":1}', CURRENT_TIMESTAMP)`,
  ).run();
  db.close();
  return dataDir;
}
