// What the last restore changed, for owners: users and roles that differ from the database it
// replaced, API tokens that work again (each with Revoke), the settings kept — read from the
// restore's audit event and the pre-restore backup (lib/system/restore-aftermath.ts) — and the
// way back ("Undo this restore": the restore dialog on the pre-restore backup).
import Link from "next/link";
import { ALERT_CHANNELS, ALERT_CHANNELS_LOST } from "@/lib/backup/restore-changes";
import { getConfig } from "@/lib/config";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { lastRestoreAftermath, tokensAfterRestore, type TokenAfterRestore } from "@/lib/system/restore-aftermath";
import { shippedMigrations } from "@/lib/system/diagnostics";
import { DismissRestoreNotice, RevokeTokenButton, UndoRestoreButton } from "../../restore-aftermath-actions";
import { requirePageRole } from "../../require-page-role";
import { ScrollRegion } from "../../scroll-region";
import { When } from "../../when";

export const metadata = { title: "What the restore changed · Opstage CE" };

const CHANGE_WORDS: Record<string, string> = {
  password: "password",
  role: "role",
  status: "enabled or disabled",
  "comes back": "exists again (deleted after the restored copy was made)",
  gone: "no longer exists (created after the restored copy was made)",
};

function tokenState(token: TokenAfterRestore): string {
  if (!token.current) return "deleted again since the restore";
  if (token.current.status === "active") return "works now";
  return token.current.status === "revoked" ? "revoked again" : "expired";
}

const section = "rounded-lg border border-slate-200 bg-white p-6";

export default async function RestoreChangesPage() {
  await requirePageRole(BACKUP_PERMISSIONS.restore);
  const aftermath = await lastRestoreAftermath(getConfig(), shippedMigrations());
  const serverZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!aftermath) {
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-semibold">What the restore changed</h1>
        <p className="text-sm text-slate-600" data-testid="restore-changes-none">
          There is no restore to show: none was made, or the backup it kept of the database it replaced has since been
          deleted. The audit log lists every restore (<code className="font-mono">backup.sqlite.restored</code>).
        </p>
      </div>
    );
  }
  const { changes } = aftermath;
  const tokens = await tokensAfterRestore(changes);
  const keptSettings = changes?.settings.differed.filter(
    (key) => key !== ALERT_CHANNELS && key !== ALERT_CHANNELS_LOST,
  );
  return (
    <div className="space-y-6">
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold">What the restore changed</h1>
        <p className="text-sm text-slate-700" data-testid="restore-changes-summary">
          Restored from <span className="break-all">{aftermath.source}</span>{" "}
          <When at={aftermath.restoredAt} serverZone={serverZone} age />
          {aftermath.by ? ` by ${aftermath.by}` : ""}. The database as it was before is kept as{" "}
          <code className="font-mono text-xs break-all">{aftermath.preRestore.name}</code>.
        </p>
        <div className="flex flex-wrap gap-2">
          <UndoRestoreButton entry={aftermath.preRestore} serverZone={serverZone} />
          {!aftermath.dismissed && <DismissRestoreNotice eventId={aftermath.eventId} />}
          <Link href={`/settings/audit/${aftermath.eventId}`} className="px-1 py-1 text-sm text-indigo-700 underline">
            The audit entry
          </Link>
        </div>
      </div>
      {!changes ? (
        <p className={`${section} text-sm text-slate-700`}>
          This restore was made with the command line, which printed what it changed; the console has no list of it.
        </p>
      ) : (
        <>
          <section className={section} aria-labelledby="changed-users">
            <h2 id="changed-users" className="text-lg font-medium">
              Users and roles
            </h2>
            {changes.users.length === 0 ? (
              <p className="mt-2 text-sm text-slate-600">No user differs from the database the restore replaced.</p>
            ) : (
              <ScrollRegion label="Users that differ" className="mt-2">
                <table className="w-full text-sm" data-testid="restore-changes-users">
                  <thead className="text-left text-slate-600">
                    <tr>
                      <th className="py-1 pr-3">User</th>
                      <th className="pr-3">What is now as in the restored copy</th>
                      <th>Role before → now</th>
                    </tr>
                  </thead>
                  <tbody>
                    {changes.users.map((user) => (
                      <tr key={user.username} className="border-t border-slate-100">
                        <td className="py-1 pr-3 font-medium">{user.username}</td>
                        <td className="pr-3">
                          {user.changes.map((change) => CHANGE_WORDS[change] ?? change).join(", ")}
                        </td>
                        <td>{user.role ? `${user.role.now} → ${user.role.restored}` : "unchanged"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollRegion>
            )}
          </section>
          <section className={section} aria-labelledby="changed-tokens">
            <h2 id="changed-tokens" className="text-lg font-medium">
              API tokens that work again
            </h2>
            <p className="mt-1 text-sm text-slate-600">
              Revoked or deleted after the restored copy was made, so usable again now. Revoke each one that should stay
              revoked.
            </p>
            {tokens.length === 0 ? (
              <p className="mt-2 text-sm text-slate-600">None.</p>
            ) : (
              <ul className="mt-2 divide-y divide-slate-100 text-sm" data-testid="restore-changes-tokens">
                {tokens.map((token) => (
                  <li
                    key={`${token.prefix}-${token.name}`}
                    className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2"
                  >
                    <span className="font-medium">{token.name}</span>
                    <code className="font-mono text-xs">{token.prefix}…</code>
                    <span className="text-slate-600">
                      was {token.was} before the restore; {tokenState(token)}
                    </span>
                    {token.current?.status === "active" && (
                      <span className="ml-auto">
                        <RevokeTokenButton id={token.current.id} name={token.name} />
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className={section} aria-labelledby="changed-settings">
            <h2 id="changed-settings" className="text-lg font-medium">
              Settings
            </h2>
            <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-slate-800" data-testid="restore-changes-settings">
              <li>
                {changes.settings.kept
                  ? "Kept from this instance: the backup schedule and retention, the offsite target and the alert channels."
                  : "The restored copy's own backup schedule, offsite target and alert channels are in effect."}
              </li>
              {keptSettings && keptSettings.length > 0 && (
                <li>
                  The restored copy had different values for: {keptSettings.join(", ")}
                  {changes.settings.kept ? " (this instance's were kept)." : "."}
                </li>
              )}
              {changes.settings.differed.includes(ALERT_CHANNELS) && (
                <li>
                  The alert channels differed in the restored copy
                  {changes.settings.kept ? "; this instance's were kept." : "; the restored copy's are in effect."}
                </li>
              )}
              {changes.settings.differed.includes(ALERT_CHANNELS_LOST) && (
                <li>The restored copy predates alert channels: add yours again in Settings → Alerts.</li>
              )}
            </ul>
          </section>
        </>
      )}
    </div>
  );
}
