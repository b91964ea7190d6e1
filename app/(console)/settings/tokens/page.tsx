import { requirePageRole } from "../../require-page-role";
import { TokensPanel } from "./tokens-panel";

export const metadata = { title: "API tokens · Opstage CE" };

export default async function TokensPage() {
  await requirePageRole("owner");
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">API tokens</h1>
        <p className="max-w-2xl text-sm text-slate-500">
          For scripts and schedulers outside the container, e.g. a host cron calling the backup endpoint. A token acts
          as the owner who created it, and stops working when that owner is demoted or disabled.
        </p>
      </div>
      <TokensPanel />
    </div>
  );
}
