import { requirePageRole } from "../../require-page-role";
import { AlertsPanel } from "./alerts-panel";

export const metadata = { title: "Alerts · Opstage CE" };

export default async function AlertsPage() {
  await requirePageRole("owner");
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Alerts</h1>
        <p className="max-w-2xl text-sm text-slate-500">
          Where Opstage tells you about failed or overdue backups, bad backups, failed offsite copies, upgrades and
          restores. Each delivery is retried with backoff and recorded in the audit log. Signing keys and passwords can
          be replaced, never read back.
        </p>
      </div>
      <AlertsPanel />
    </div>
  );
}
