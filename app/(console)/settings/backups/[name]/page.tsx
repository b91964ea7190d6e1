import { notFound } from "next/navigation";
import Link from "next/link";
import { isSafeBackupName } from "@/lib/backup/files";
import { listBackups } from "@/lib/backup/catalog";
import { getConfig } from "@/lib/config";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { requirePageRole } from "../../../require-page-role";
import { BackupInspector } from "./backup-inspector";

export const metadata = { title: "Inside a backup · Opstage CE" };

export default async function BackupPage({ params }: { params: Promise<{ name: string }> }) {
  await requirePageRole(BACKUP_PERMISSIONS.inspect);
  const name = decodeURIComponent((await params).name);
  if (!isSafeBackupName(name)) notFound();
  const names = listBackups(getConfig().backupDir).map((entry) => entry.name);
  if (!names.includes(name)) notFound();
  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm">
          <Link href="/settings/backups" className="text-indigo-700 underline">
            ← Backups
          </Link>
        </p>
        <h1 className="text-2xl font-semibold break-all">Inside {name}</h1>
        <p className="text-sm text-slate-600">
          Read-only: the file is opened in a worker, never changed, and every secret (password and token hashes,
          two-factor secrets, session ids, the offsite and alert channel secrets) is masked.
        </p>
      </div>
      <BackupInspector name={name} others={names.filter((other) => other !== name)} />
    </div>
  );
}
