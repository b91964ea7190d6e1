import { hasRole } from "@/lib/roles";
import { requirePageRole } from "../../require-page-role";
import { AuditPanel } from "./audit-panel";
import { RetentionForm } from "./retention-form";

export const metadata = { title: "Audit log · Opstage CE" };

export default async function AuditPage() {
  const { user } = await requirePageRole("viewer");
  const everything = hasRole(user.role, "operator");
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <p className="max-w-2xl text-sm text-slate-500">
          {everything
            ? "Every security-relevant action, newest first. The filters are in the address, so a filtered view can be shared; the exports contain exactly the filtered rows."
            : "Your own actions, newest first. Owners and operators see everyone's."}
        </p>
      </div>
      <AuditPanel />
      {user.role === "owner" && (
        <section className="rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="mb-2 text-lg font-medium">Retention</h2>
          <RetentionForm />
        </section>
      )}
    </div>
  );
}
