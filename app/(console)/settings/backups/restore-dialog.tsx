"use client";
// Restore, said before it happens: what the backup is, whether it verifies (run first, as its
// own step — nothing is restoring yet), what is lost and where it is kept, what reverts to the
// backup's and what this instance keeps (lib/backup/restore-changes.ts: the schedule and the
// offsite target are carried over; users, passwords, roles and API tokens are the backup's),
// and the backup's name typed to confirm. A native <dialog> opened with showModal(): the browser
// traps focus inside and Escape cancels; focus goes back to where it was on close.
import { useMutation } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useEffect, useRef, useState } from "react";
import type { BackupsOverview } from "@/lib/system/backups-overview";
import type { Verification } from "@/lib/backup/manifest";
import { formatBytes } from "@/lib/format";
import { formatInZone } from "@/lib/time-format";
import { apiRequest } from "../../api-client";
import { VerdictBadge } from "../../verdict-badge";
import { When } from "../../when";
import { RestorePreview } from "./[name]/restore-preview";

export type BackupRow = BackupsOverview["backups"][number];

function preRestoreNameFor(at: Date): string {
  return `opstage-${at.toISOString().replace(/[-:]/g, "").slice(0, 15)}…-pre-restore.db`;
}

export function RestoreDialog({
  entry,
  serverZone,
  onClose,
}: {
  entry: BackupRow;
  serverZone: string;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const verify = useMutation({
    mutationFn: () =>
      apiRequest<Verification>(`/api/admin/backups/${encodeURIComponent(entry.name)}/verify`, { method: "POST" }),
  });
  const restore = useMutation({
    mutationFn: () =>
      apiRequest<{ next: string; preRestore: string | null }>("/api/admin/restore", {
        method: "POST",
        body: JSON.stringify({ name: entry.name }),
      }),
    onSuccess: (result) => void signOut({ callbackUrl: result.next }),
  });
  const { mutate: startVerify } = verify;

  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement as HTMLElement | null;
    if (element && !element.open) element.showModal();
    startVerify();
    return () => opener?.focus();
  }, [startVerify]);

  const verified = verify.data;
  const canRestore = verified?.restorable === true && typed === entry.name && !restore.isPending && !restore.isSuccess;
  const busy = restore.isPending || restore.isSuccess;
  const headingId = `restore-title`;
  return (
    <dialog
      ref={dialog}
      aria-labelledby={headingId}
      data-testid="restore-dialog"
      onCancel={(event) => {
        if (busy) event.preventDefault();
      }}
      onClose={onClose}
      className="m-auto max-h-[90vh] w-[min(40rem,calc(100vw-1.5rem))] overflow-y-auto rounded-lg border border-slate-300 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      <div className="space-y-4 p-5 sm:p-6">
        <h2 id={headingId} className="text-lg font-semibold break-all">
          Restore {entry.name}?
        </h2>
        <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm" data-testid="restore-facts">
          <dt className="text-slate-600">Kind</dt>
          <dd>{entry.kind}</dd>
          <dt className="text-slate-600">Made</dt>
          <dd>
            <When at={entry.createdAt} serverZone={serverZone} age />
          </dd>
          <dt className="text-slate-600">Size</dt>
          <dd>{formatBytes(entry.bytes)}</dd>
          <dt className="text-slate-600">App version</dt>
          <dd>{entry.appVersion ?? "unknown"}</dd>
          <dt className="text-slate-600">Migration</dt>
          <dd className="font-mono text-xs leading-5 break-all">{entry.lastMigration ?? "unknown"}</dd>
          <dt className="text-slate-600">Last verdict</dt>
          <dd>
            <VerdictBadge verdict={entry.verdict} />
          </dd>
        </dl>

        <section aria-labelledby="restore-step-verify">
          <h3 id="restore-step-verify" className="text-sm font-semibold">
            Step 1 — Verify the file
          </h3>
          <div aria-live="polite" className="mt-1 text-sm" data-testid="restore-verify">
            {verify.isPending && (
              <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900">
                Verifying: checksum, integrity, and whether this version can start on it… Nothing is being restored.
              </p>
            )}
            {verified?.restorable && (
              <p className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">
                Verified: {verified.detail}
              </p>
            )}
            {verified && !verified.restorable && (
              <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
                This backup cannot be restored: {verified.detail}
              </p>
            )}
            {verify.isError && (
              <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
                Could not verify it: {verify.error.message}
              </p>
            )}
          </div>
        </section>

        {verified?.restorable && <RestorePreview name={entry.name} />}

        <section aria-labelledby="restore-step-effects" className="text-sm">
          <h3 id="restore-step-effects" className="font-semibold">
            Step 2 — What the restore does
          </h3>
          <ul className="mt-1 list-disc space-y-1 pl-5 text-slate-800" data-testid="restore-effects">
            <li>
              <strong>Lost from the live database:</strong> everything written since this backup was made (
              {formatInZone(entry.createdAt, serverZone)}). It is <strong>kept</strong> in the pre-restore backup{" "}
              <code className="font-mono text-xs break-all">{preRestoreNameFor(new Date())}</code> made just before the
              swap (the newest 3 pre-restore backups are kept); restore that one to undo.
            </li>
            <li>
              <strong>Reverts to the backup&apos;s:</strong> users, passwords, roles, two-factor sign-in (enrolments and
              recovery codes) and who is disabled; API tokens (tokens revoked since work again: revoke them again — the
              audit entry <code className="font-mono text-xs">backup.sqlite.restored</code> lists them); the audit log
              and all other data.
            </li>
            <li>
              <strong>Kept from this instance:</strong> the backup schedule and retention, the offsite target and the
              alert channels.
            </li>
            <li>
              Requests pause for a moment during the swap. You sign in again; others stay signed in if the backup has
              their user.
            </li>
          </ul>
        </section>

        <section aria-labelledby="restore-step-confirm" className="text-sm">
          <h3 id="restore-step-confirm" className="font-semibold">
            Step 3 — Confirm
          </h3>
          <label className="mt-1 block">
            <span className="text-slate-700">Type the backup&apos;s name to confirm</span>
            <input
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              autoComplete="off"
              spellCheck={false}
              disabled={busy}
              placeholder={entry.name}
              className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 font-mono text-xs"
            />
          </label>
        </section>

        <div aria-live="polite">
          {busy && (
            <p
              className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
              data-testid="restore-progress"
            >
              Restoring… the console pauses meanwhile; you will be asked to sign in again.
            </p>
          )}
          {restore.isError && (
            <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
              The restore was refused; nothing was changed. {restore.error.message}
            </p>
          )}
        </div>

        <div className="flex flex-wrap justify-end gap-3">
          <button
            type="button"
            disabled={busy}
            onClick={() => dialog.current?.close()}
            className="rounded-md border border-slate-400 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50 disabled:opacity-50"
          >
            Cancel
          </button>
          <button
            type="button"
            disabled={!canRestore}
            onClick={() => restore.mutate()}
            aria-label={`Restore ${entry.name}`}
            className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-600 disabled:cursor-not-allowed disabled:opacity-50"
          >
            {busy ? "Restoring…" : "Restore"}
          </button>
        </div>
      </div>
    </dialog>
  );
}
