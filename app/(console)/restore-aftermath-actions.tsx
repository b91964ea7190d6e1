"use client";
// The actions after a restore, for the banner and the "What changed" page: undo it (the restore
// dialog on the pre-restore backup, the same dialog as any backup's), dismiss the banner, revoke
// a token that works again (the token revoke route).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiRequest } from "./api-client";
import { RestoreDialog, type BackupRow } from "./settings/backups/restore-dialog";

const secondary =
  "rounded-md border border-slate-400 bg-white px-2.5 py-1 text-sm text-slate-800 hover:bg-slate-50 disabled:opacity-50";

export function UndoRestoreButton({ entry, serverZone }: { entry: BackupRow; serverZone: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={secondary} onClick={() => setOpen(true)}>
        Undo this restore
      </button>
      {open && <RestoreDialog entry={entry} serverZone={serverZone} onClose={() => setOpen(false)} />}
    </>
  );
}

export function DismissRestoreNotice({ eventId }: { eventId: string }) {
  const router = useRouter();
  const dismiss = useMutation({
    mutationFn: () => apiRequest("/api/admin/restore/notice", { method: "POST", body: JSON.stringify({ eventId }) }),
    onSuccess: () => router.refresh(),
  });
  return (
    <>
      <button type="button" className={secondary} disabled={dismiss.isPending} onClick={() => dismiss.mutate()}>
        Dismiss
      </button>
      {dismiss.isError && (
        <span role="alert" className="rounded bg-red-50 px-2 py-0.5 text-sm text-red-900">
          Could not dismiss: {dismiss.error.message}
        </span>
      )}
    </>
  );
}

export function RevokeTokenButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const revoke = useMutation({
    mutationFn: () => apiRequest(`/api/admin/tokens/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => router.refresh(),
  });
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <button
        type="button"
        aria-label={`Revoke ${name}`}
        disabled={revoke.isPending || revoke.isSuccess}
        onClick={() => revoke.mutate()}
        className="rounded-md bg-red-700 px-2.5 py-1 text-sm font-medium text-white hover:bg-red-600 disabled:opacity-50"
      >
        {revoke.isSuccess ? "Revoked" : "Revoke"}
      </button>
      {revoke.isError && (
        <span role="alert" className="rounded bg-red-50 px-2 py-0.5 text-sm text-red-900">
          Could not revoke it: {revoke.error.message}
        </span>
      )}
    </span>
  );
}
