// Can this build start on this database? One answer, used by the server's start (before it
// migrates), by verify, by upload and by restore alike, so that a file called restorable is
// exactly a file the server will start on.
import type { SqliteDatabase } from "../db/sqlite";
import { compareVersions, lastRecordedVersion } from "./app-version";
import type { MigrationFile } from "./files";
import { MigrationError, migrationStatus, type MigrationStatus } from "./status";

// Who last ran the database, as far as it says. A build with unknown migrations but the same or
// an older recorded version (a development build, or a version string that was not bumped)
// is still newer in schema: say that instead of a version comparison that reads as nonsense.
function lastRunBy(recorded: string | null, appVersion: string): string {
  if (recorded && compareVersions(recorded, appVersion) > 0) {
    return `This database was last run by Opstage ${recorded}, newer than this build (${appVersion})`;
  }
  return `This database was last run by a newer Opstage build than this one (${appVersion})`;
}

/**
 * The database's migration status when `appVersion` with `files` can start on it (applying the
 * pending ones). Reads, never writes. Throws MigrationError otherwise: a failed or edited
 * migration, a foreign database (migrationStatus), or a database from a newer Opstage — one that
 * records a migration this build does not ship, or a newer version.
 */
export function assertStartable(db: SqliteDatabase, files: MigrationFile[], appVersion: string): MigrationStatus {
  const recorded = lastRecordedVersion(db);
  let status: MigrationStatus;
  try {
    status = migrationStatus(db, files);
  } catch (error) {
    if (error instanceof MigrationError && error.problem === "unknown") {
      throw new MigrationError(
        "unknown",
        `${lastRunBy(recorded, appVersion)}: it records migration(s) this build does not know ` +
          `(${error.migrationName}…). Nothing was written to it.`,
        error.migrationName,
      );
    }
    throw error;
  }
  if (recorded && compareVersions(recorded, appVersion) > 0) {
    throw new MigrationError(
      "unknown",
      `${lastRunBy(recorded, appVersion)}. Running a newer database on an older Opstage is unsupported; ` +
        `nothing was written to it.`,
    );
  }
  return status;
}
