import { requirePageRole } from "../../require-page-role";
import { UsersPanel } from "./users-panel";

export const metadata = { title: "Users · Opstage CE" };

export default async function UsersPage() {
  const { user } = await requirePageRole("owner");
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Users</h1>
        <p className="max-w-2xl text-sm text-slate-500">
          Owners manage everything, operators run backups, viewers read. Disabling a user or resetting their password
          ends their sessions at once. The last active owner cannot be demoted, disabled or deleted.
        </p>
      </div>
      <UsersPanel currentUserId={user.id} />
    </div>
  );
}
