// Builds migrations folders for the migrator tests: the real shipped ones, plus made-up ones.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "./server";

export const shippedMigrationsDir = path.join(projectRoot, "prisma/migrations");

export function copyShippedMigrations(target: string): string {
  cpSync(shippedMigrationsDir, target, { recursive: true });
  return target;
}

export function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, "migration.sql"), sql);
}
