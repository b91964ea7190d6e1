import { backupAbilities } from "@/lib/roles";
import { backupsOverview } from "@/lib/system/backups-overview";
import { getConfig } from "@/lib/config";
import { shippedMigrations } from "@/lib/system/diagnostics";
import { requirePageRole } from "../../require-page-role";
import { BackupsPanel } from "./backups-panel";

export const metadata = { title: "Backups · Opstage CE" };

export default async function BackupsPage() {
  const { user } = await requirePageRole("viewer");
  const initial = await backupsOverview(getConfig(), shippedMigrations());
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Backups</h1>
        <p className="text-sm break-words text-slate-600">
          Snapshots stored in <code className="font-mono break-all">{initial.backupDir}</code>, the schedule that makes
          them, and their verification.
        </p>
      </div>
      <BackupsPanel initial={initial} can={backupAbilities(user.role)} />
    </div>
  );
}
