// After a restore: what it changed, for the console's banner and its "What changed" page, and the
// way back. Everything is read from what lasts — the restore's audit event (written into the
// restored database, with the changes restore-changes.ts listed when it swapped the files), the
// pre-restore backup in the backup folder, and a setting that says an owner dismissed the banner
// — never from memory, so a restart changes nothing. The banner shows for as long as the
// pre-restore backup is kept and nobody dismissed it.
import { tokenStatus, type TokenStatus } from "../auth/api-tokens";
import type { RestoreChanges, RevertedToken } from "../backup/restore-changes";
import type { Config } from "../config";
import { getPrisma } from "../db/prisma";
import type { MigrationFile } from "../migrate/files";
import { backupRow } from "./backups-overview";

export const RESTORE_NOTICE_DISMISSED_KEY = "restore.noticeDismissed";
const RESTORED_ACTION = "backup.sqlite.restored";

export type TokenAfterRestore = RevertedToken & {
  /** The token as it is now: null when it is no longer in the database. */
  current: { id: string; status: TokenStatus } | null;
};

export type RestoreAftermath = {
  eventId: string;
  restoredAt: string;
  /** What was restored: a backup's name, or "replica … as of …". */
  source: string;
  by: string | null;
  /** The pre-restore backup, as the Backups page lists it (for "Undo this restore"). */
  preRestore: NonNullable<ReturnType<typeof backupRow>>;
  /** Null when the restore listed none (a restore from the CLI, audited at the next start). */
  changes: RestoreChanges | null;
  dismissed: boolean;
};

type RestoredMetadata = {
  file?: string;
  restoredAt?: string;
  preRestore?: string | null;
  changes?: RestoreChanges | null;
  by?: string;
};

/** The newest restore while its pre-restore backup is kept; null otherwise. Never throws for bad metadata. */
export async function lastRestoreAftermath(config: Config, shipped: MigrationFile[]): Promise<RestoreAftermath | null> {
  const prisma = getPrisma();
  const event = await prisma.auditEvent.findFirst({
    where: { action: RESTORED_ACTION, result: "SUCCESS" },
    orderBy: { createdAt: "desc" },
  });
  if (!event?.metadataJson) return null;
  let metadata: RestoredMetadata;
  try {
    metadata = JSON.parse(event.metadataJson) as RestoredMetadata;
  } catch {
    return null;
  }
  if (!metadata.preRestore) return null;
  const preRestore = backupRow(config, shipped, metadata.preRestore);
  if (!preRestore) return null;
  const dismissed = await prisma.systemSetting.findUnique({ where: { key: RESTORE_NOTICE_DISMISSED_KEY } });
  return {
    eventId: event.id,
    restoredAt: metadata.restoredAt ?? event.createdAt.toISOString(),
    source: metadata.file ?? event.targetId ?? "a backup",
    by: metadata.by ?? null,
    preRestore,
    changes: metadata.changes ?? null,
    dismissed: dismissed?.valueJson === JSON.stringify(event.id),
  };
}

/**
 * The tokens a restore made work again, each as it is now (for the "What changed" page only: the
 * banner on every page does not need them).
 */
export function tokensAfterRestore(changes: RestoreChanges | null): Promise<TokenAfterRestore[]> {
  const prisma = getPrisma();
  return Promise.all(
    (changes?.tokens ?? []).map(async (token): Promise<TokenAfterRestore> => {
      // Restores audited before the token's id was recorded name it by its name and prefix.
      const found = token.id
        ? await prisma.apiToken.findUnique({ where: { id: token.id } })
        : await prisma.apiToken.findFirst({ where: { name: token.name, prefix: token.prefix } });
      return { ...token, current: found ? { id: found.id, status: tokenStatus(found) } : null };
    }),
  );
}

/** An owner dismissed the banner of the restore audited as `eventId` (a later restore shows it again). */
export async function dismissRestoreNotice(eventId: string): Promise<void> {
  const valueJson = JSON.stringify(eventId);
  await getPrisma().systemSetting.upsert({
    where: { key: RESTORE_NOTICE_DISMISSED_KEY },
    create: { key: RESTORE_NOTICE_DISMISSED_KEY, valueJson },
    update: { valueJson },
  });
}
