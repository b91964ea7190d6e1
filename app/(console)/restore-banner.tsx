// The console-wide banner for owners after a restore, for as long as the pre-restore backup is
// kept and no owner dismissed it: what was restored, "What changed", "Undo this restore".
// Read from the restore's audit event and the backup folder (lib/system/restore-aftermath.ts).
import Link from "next/link";
import { getConfig } from "@/lib/config";
import { lastRestoreAftermath } from "@/lib/system/restore-aftermath";
import { shippedMigrations } from "@/lib/system/diagnostics";
import { DismissRestoreNotice, UndoRestoreButton } from "./restore-aftermath-actions";
import { When } from "./when";

export async function RestoreBanner() {
  const aftermath = await lastRestoreAftermath(getConfig(), shippedMigrations()).catch(() => null);
  if (!aftermath || aftermath.dismissed) return null;
  const serverZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <div
      role="status"
      data-testid="restore-banner"
      className="border-b border-l-4 border-slate-200 border-l-sky-600 bg-white px-4 py-2 text-sm text-slate-900 sm:px-6"
    >
      <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-3 gap-y-2">
        <span className="min-w-0 break-words">
          <strong>The database was restored</strong> from <span className="break-all">{aftermath.source}</span>{" "}
          <When at={aftermath.restoredAt} serverZone={serverZone} />
          {aftermath.by ? ` by ${aftermath.by}` : ""}.
        </span>
        <span className="ml-auto flex flex-wrap items-center gap-2">
          <Link
            href="/settings/restore-changes"
            className="rounded-md border border-slate-400 bg-white px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            What changed
          </Link>
          <UndoRestoreButton entry={aftermath.preRestore} serverZone={serverZone} />
          <DismissRestoreNotice eventId={aftermath.eventId} />
        </span>
      </div>
    </div>
  );
}
