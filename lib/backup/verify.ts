// Is this backup still good, and can this build start on it? Checks, in order: the bytes still
// match the manifest's sha256; the file opens read-only as SQLite; integrity_check is ok; every
// migration it records is known to this build (else it was made by a newer version).
import { statSync } from "node:fs";
import { SYSTEM_ACTOR } from "../audit/record";
import type { MigrationFile } from "../migrate/files";
import { backupPath } from "./files";
import { readManifest, writeManifest, type BackupManifest, type Verification } from "./manifest";
import { inspectDatabaseFile } from "./worker";

/** Verifies any SQLite file against this build's migrations (used by the CLI for files anywhere). */
export async function verifyDatabaseFile(
  file: string,
  shipped: MigrationFile[],
  expectedSha256: string | null,
): Promise<Verification & { sha256: string; migrations: string[] }> {
  const inspection = await inspectDatabaseFile(file);
  const at = new Date().toISOString();
  const result = (state: Verification["state"], restorable: boolean, detail: string) => ({
    at,
    state,
    restorable,
    detail,
    sha256: inspection.sha256,
    migrations: inspection.migrations,
  });
  if (expectedSha256 && inspection.sha256 !== expectedSha256) {
    return result("modified", false, `sha256 ${inspection.sha256.slice(0, 12)}… does not match the manifest's ${expectedSha256.slice(0, 12)}…: the file changed since it was written.`);
  }
  if (!inspection.sqlite) return result("not-sqlite", false, `Not a readable SQLite database: ${inspection.integrity[0]}`);
  if (inspection.integrity[0] !== "ok") {
    return result("corrupt", false, `integrity_check failed: ${inspection.integrity.slice(0, 3).join("; ")}`);
  }
  if (inspection.migrations.length === 0) {
    return result("foreign", false, "The file has no Opstage migration history: it is not an Opstage database.");
  }
  const known = new Set(shipped.map((file) => file.name));
  const unknown = inspection.migrations.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    return result("newer", false, `Made by a newer version: it records ${unknown.join(", ")}, unknown to this build.`);
  }
  const pending = shipped.length - inspection.migrations.length;
  return result(
    "restorable",
    true,
    pending > 0
      ? `Restorable into this version; ${pending} migration(s) will be applied on start.`
      : "Restorable into this version.",
  );
}

/** Verifies a stored backup and records the result in its manifest (creating one if external). */
export async function verifyBackup(backupDir: string, name: string, shipped: MigrationFile[]): Promise<Verification> {
  const file = backupPath(backupDir, name);
  const manifest = readManifest(backupDir, name);
  const { sha256, migrations, ...verification } = await verifyDatabaseFile(file, shipped, manifest?.sha256 ?? null);
  const updated: BackupManifest = manifest
    ? { ...manifest, sha256: manifest.sha256 ?? sha256, verification }
    : {
        name,
        kind: "external",
        sha256,
        bytes: statSync(file).size,
        createdAt: statSync(file).mtime.toISOString(),
        appVersion: "unknown",
        lastMigration: migrations.at(-1) ?? null,
        databaseBytes: null,
        durationMs: null,
        actor: { ...SYSTEM_ACTOR, label: "copied in by hand" },
        verification,
      };
  await writeManifest(backupDir, updated);
  return verification;
}
