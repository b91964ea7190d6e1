// The alerts an upgrade and a restore raise (lib/alerts): what happened and where the way back is.
import { alertEvent, type AlertEvent } from "../alerts/events";

export function upgradeAppliedEvent(latest: string | null, applied: string[], snapshot: string | null): AlertEvent {
  return alertEvent(
    "upgrade.applied",
    `Opstage upgraded its database to ${latest ?? "the newest migration"}`,
    `${applied.length} migration(s) were applied at start.${
      snapshot ? ` The database before the upgrade is kept as the backup ${snapshot}.` : ""
    }`,
    { migrations: applied, snapshot },
  );
}

export function restoreDoneEvent(file: string, by: string, preRestore: string | null): AlertEvent {
  return alertEvent(
    "restore.done",
    `Backup ${file} was restored`,
    `The database was replaced with ${file} (by ${by}).${
      preRestore ? ` The database it replaced is kept as ${preRestore}.` : ""
    } Everyone signs in again.`,
    { backup: file, by, preRestore },
  );
}
