// A start on an empty data folder with OPSTAGE_RESTORE_ON_EMPTY=offsite|replica brings the
// database back before anything creates a new one: the newest offsite copy that verifies, or the
// replica's latest moment. The pieces are the ones the CLI drill uses (offsite fetch, the
// replica's point-in-time restore, prepareRestore/installRestore), so what verifies there
// verifies here. It runs with the data-folder lock held and before the database is opened.
//
// A failure must never end in a fresh, empty database with a new owner over a disaster: the
// folder is put back as it was (no opstage.db, no temp file, no fetched backup) and the error
// names what failed and what to do; the caller exits non-zero with it.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { installRestore, prepareRestore, type PreparedRestore } from "../backup/restore";
import { BackupExistsError } from "../backup/files";
import { manifestPath } from "../backup/manifest";
import { migrationsDir } from "../db/paths";
import { logger } from "../log";
import { readMigrationFiles } from "../migrate/files";
import { fetchOffsiteCopy } from "../offsite/fetch";
import { listRemoteCopies } from "../offsite/remote";
import { withOffsiteTarget } from "../offsite/session";
import { discardReplicaRestore, REPLICA_REFUSAL_ADVICE, restoreReplicaToTemp } from "../replication/point-in-time";

/** What was restored, from where: logged, and audited in the restored database. */
export type EmptyStartRestore = {
  source: "offsite" | "replica";
  /** The bucket and prefix, or the replica's description. */
  from: string;
  /** offsite: the object restored. */
  copy?: string;
  /** replica: the moment restored ("latest") and the generation it came from, with its end. */
  moment?: string;
  generation?: string;
  generationEnd?: string;
  /** offsite: the newer copies that did not verify, and why. */
  skipped: { copy: string; reason: string }[];
};

/** The restore failed; the data folder was left as it was. One line. */
export class RestoreOnEmptyError extends Error {
  override name = "RestoreOnEmptyError";
}

type Log = (message: string) => void;

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function readIdentity(file: string | undefined, variable: string): string | null {
  if (!file) return null;
  try {
    return readFileSync(/* turbopackIgnore: true */ file, "utf8");
  } catch (error) {
    throw new RestoreOnEmptyError(
      `${variable} (${file}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Mount the age identity file there (read-only is enough).`,
    );
  }
}

async function install(config: Config, prepared: PreparedRestore): Promise<void> {
  // No database to keep: installRestore only renames the verified file into place and leaves the
  // marker that makes this start audit the restore once the database is open.
  await installRestore({ config, prepared, keepSettings: true });
}

async function restoreNewestOffsiteCopy(config: Config, log: Log, fetched: string[]): Promise<EmptyStartRestore> {
  const identityText = readIdentity(config.restoreOnEmpty.offsiteIdentityFile, "OPSTAGE_OFFSITE_AGE_IDENTITY_FILE");
  const shipped = readMigrationFiles(migrationsDir());
  // Inside withOffsiteTarget only what talks to the store: it rewords every error it does not
  // know as the store's, so a refusal of Opstage's own is returned, and thrown outside.
  const outcome = await withOffsiteTarget(
    config,
    async (client, target): Promise<{ file: string; done: EmptyStartRestore } | { refusal: string }> => {
      const from = `${target.endpoint ?? "AWS S3"} bucket ${target.bucket}${target.prefix ? `/${target.prefix}` : ""}`;
      const copies = (await listRemoteCopies(client, target)).filter((copy) => copy.present);
      if (copies.length === 0) {
        return {
          refusal: `there is no offsite copy in ${from} (check OPSTAGE_OFFSITE_BUCKET and OPSTAGE_OFFSITE_PREFIX: the prefix the server copied to)`,
        };
      }
      log(`restoring on an empty start: ${copies.length} offsite cop${copies.length === 1 ? "y" : "ies"} in ${from}`);
      const skipped: EmptyStartRestore["skipped"] = [];
      for (const copy of copies) {
        try {
          const result = await fetchOffsiteCopy({
            client,
            target,
            backupDir: config.backupDir,
            objectName: copy.name,
            identityText,
            shipped,
          });
          fetched.push(result.name);
          return { file: result.path, done: { source: "offsite", from, copy: copy.name, skipped } };
        } catch (error) {
          if (error instanceof BackupExistsError) {
            // The backup folder (a volume of its own) survived and holds this backup already:
            // prepareRestore checks it against its own manifest.
            const file = path.join(/* turbopackIgnore: true */ config.backupDir, copy.backupName);
            return { file, done: { source: "offsite", from, copy: copy.name, skipped } };
          }
          const reason = oneLine((error as Error).message);
          skipped.push({ copy: copy.name, reason });
          logger().warn(`offsite copy ${copy.name} does not verify, trying the next one: ${reason}`);
        }
      }
      const first = skipped[0]!;
      return {
        refusal: `none of the ${copies.length} offsite copies in ${from} could be restored; the newest, ${first.copy}: ${first.reason}`,
      };
    },
    { useDatabase: false },
  );
  if ("refusal" in outcome) throw new RestoreOnEmptyError(outcome.refusal);
  const prepared = await prepareRestore({
    config,
    file: outcome.file,
    shipped,
    label: `offsite copy ${outcome.done.copy}`,
  });
  await install(config, prepared);
  return outcome.done;
}

async function restoreReplicaLatest(config: Config, log: Log): Promise<EmptyStartRestore> {
  const identityText = readIdentity(
    config.restoreOnEmpty.replicaIdentityFile,
    config.restoreOnEmpty.replicaIdentityFile === config.restoreOnEmpty.offsiteIdentityFile
      ? "OPSTAGE_OFFSITE_AGE_IDENTITY_FILE"
      : "OPSTAGE_REPLICATION_AGE_IDENTITY_FILE",
  );
  const restored = await restoreReplicaToTemp(config, "latest", { identityText });
  try {
    log(`restoring on an empty start: the latest moment of the replica at ${restored.replicaLabel}`);
    const prepared = await prepareRestore({
      config,
      file: restored.file,
      shipped: readMigrationFiles(migrationsDir()),
      label: `replica ${restored.replicaLabel} as of ${restored.generation?.end ?? "latest"}`,
      refusalAdvice: REPLICA_REFUSAL_ADVICE,
      adopt: true,
    });
    await install(config, prepared);
    return {
      source: "replica",
      from: restored.replicaLabel,
      moment: restored.moment,
      generation: restored.generation?.generation,
      generationEnd: restored.generation?.end,
      skipped: [],
    };
  } finally {
    discardReplicaRestore(restored.file);
  }
}

/**
 * Brings the database back into the empty data folder, verified and installed, or throws
 * RestoreOnEmptyError (one line) with the folder as it was. The caller holds the data-folder
 * lock and has opened no database.
 */
export async function restoreOnEmptyStart(config: Config, log: Log): Promise<EmptyStartRestore> {
  const source = config.restoreOnEmpty.source;
  if (source === "off") throw new Error("restoreOnEmptyStart called with OPSTAGE_RESTORE_ON_EMPTY=off");
  const before = new Set(readdirSync(/* turbopackIgnore: true */ config.dataDir));
  const fetched: string[] = [];
  try {
    return source === "offsite"
      ? await restoreNewestOffsiteCopy(config, log, fetched)
      : await restoreReplicaLatest(config, log);
  } catch (error) {
    // Back to what it was: whatever this attempt wrote in the data folder (temp files, a
    // Litestream configuration, a half-installed file), and the backups it fetched.
    for (const name of readdirSync(/* turbopackIgnore: true */ config.dataDir)) {
      if (before.has(name)) continue;
      const entry = path.join(/* turbopackIgnore: true */ config.dataDir, name);
      if (path.resolve(entry) === path.resolve(config.backupDir)) continue;
      rmSync(/* turbopackIgnore: true */ entry, { recursive: true, force: true });
    }
    for (const name of fetched) {
      rmSync(/* turbopackIgnore: true */ path.join(config.backupDir, name), { force: true });
      rmSync(/* turbopackIgnore: true */ manifestPath(config.backupDir, name), { force: true });
    }
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    throw new RestoreOnEmptyError(
      `OPSTAGE_RESTORE_ON_EMPTY=${source}: the database could not be restored into the empty data folder ${config.dataDir}: ${reason.replace(/\.?$/, ".")} ` +
        `Nothing was created there. Fix that and start again, or set OPSTAGE_RESTORE_ON_EMPTY=off to start a new, empty install.`,
    );
  }
}
