import { getAccount } from "@/lib/auth/account";
import { requirePageRole } from "../../require-page-role";
import { AccountPanel } from "./account-panel";

export const metadata = { title: "My account · Opstage CE" };

export default async function AccountPage() {
  const actor = await requirePageRole("viewer");
  const account = await getAccount(actor);
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">My account</h1>
        <p className="text-sm text-slate-500">
          Signed in as <span className="font-mono">{account.username}</span> ({account.role}).
        </p>
      </div>
      <AccountPanel displayName={account.displayName} />
    </div>
  );
}
