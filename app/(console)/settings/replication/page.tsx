import { canBackup } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { replicationStatus } from "@/lib/replication/status";
import { requirePageRole } from "../../require-page-role";
import { ReplicationPanel } from "./replication-panel";

export const metadata = { title: "Replication · Opstage CE" };

export default async function ReplicationPage() {
  const { user } = await requirePageRole("viewer");
  const initial = await replicationStatus(getConfig(), { includeReplica: true });
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Replication</h1>
        <p className="text-sm text-slate-600">
          Litestream ships every change of <code className="font-mono">opstage.db</code> to a replica within seconds, so
          a lost disk costs seconds of changes, not everything since the last backup. Any moment in the replica&apos;s
          window can be restored.
        </p>
      </div>
      <ReplicationPanel
        initial={initial}
        canRestore={canBackup(user.role, "restore")}
        serverZone={Intl.DateTimeFormat().resolvedOptions().timeZone}
      />
    </div>
  );
}
