import Link from "next/link";
import { canBackup } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { getAppDatabase } from "@/lib/db/app-database";
import { collectDiagnostics, shippedMigrations } from "@/lib/system/diagnostics";
import { lifecycleFacts } from "@/lib/system/lifecycle-facts";
import { requirePageRole } from "../../require-page-role";
import { BackupDownload } from "./backup-download";
import { DiagnosticsPanel } from "./diagnostics-panel";
import { LifecycleSection } from "./lifecycle-section";

export const metadata = { title: "Diagnostics · Opstage CE" };

export default async function DiagnosticsPage({ searchParams }: { searchParams: Promise<{ backup_error?: string }> }) {
  const { user } = await requirePageRole("viewer");
  const { backup_error: backupError } = await searchParams;
  const initial = collectDiagnostics(getConfig(), getAppDatabase());
  const lifecycle = await lifecycleFacts(getConfig(), shippedMigrations());
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Diagnostics</h1>
        <p className="text-sm text-slate-600">Version, database and migration state of this instance.</p>
      </div>
      <DiagnosticsPanel initial={initial} />
      <LifecycleSection facts={lifecycle} />
      <section className="rounded-lg border border-slate-200 bg-white p-4 sm:p-6">
        <h2 className="text-lg font-medium">Backup</h2>
        <p className="mt-1 max-w-2xl text-sm text-slate-700">
          A consistent online snapshot of <code className="font-mono">opstage.db</code>, taken while the console keeps
          working: the database is checkpointed and its file copied under a read transaction that keeps it still
          (SQLite&apos;s backup API is only the fallback when that cannot be had), and streamed to you as it is copied.
          A copy is also kept in <code className="font-mono break-all">{initial.backupDir}</code>; see{" "}
          <Link href="/settings/backups" className="text-indigo-700 underline hover:text-indigo-900">
            Backups
          </Link>{" "}
          for stored copies, the schedule and verification.
        </p>
        {backupError && (
          <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {backupError}
          </p>
        )}
        {canBackup(user.role, "download") ? (
          <BackupDownload />
        ) : (
          <p className="mt-4 text-sm text-slate-600" data-testid="backup-owner-only">
            Only owners can download backups.
          </p>
        )}
      </section>
    </div>
  );
}
