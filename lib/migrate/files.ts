// The migrations this build ships: prisma/migrations/<name>/migration.sql, applied in name order
// (Prisma prefixes names with a UTC timestamp, so name order is creation order).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type MigrationFile = { name: string; sql: string; checksum: string };

/** Prisma Migrate's checksum: the sha256 (hex) of the migration.sql bytes. */
export function migrationChecksum(sql: string | Buffer): string {
  return createHash("sha256").update(sql).digest("hex");
}

export function readMigrationFiles(dir: string): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: migrationChecksum(bytes) };
    });
}
