import { backupsOverview } from "@/lib/backup/overview";
import { getConfig } from "@/lib/config";
import { requirePageRole } from "../../require-page-role";
import { BackupsPanel } from "./backups-panel";

export const metadata = { title: "Backups · Opstage CE" };

export default async function BackupsPage() {
  const { user } = await requirePageRole("viewer");
  const initial = await backupsOverview(getConfig());
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Backups</h1>
        <p className="text-sm text-slate-500">
          Snapshots stored in <code className="font-mono">{initial.backupDir}</code>, the schedule that makes them, and
          their verification.
        </p>
      </div>
      <BackupsPanel initial={initial} isOwner={user.role === "owner"} />
    </div>
  );
}
