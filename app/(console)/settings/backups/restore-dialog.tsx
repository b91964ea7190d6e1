"use client";
// Restore a stored backup, said before it happens: what the backup is, whether it verifies (run
// first, as its own step — nothing is restoring yet), what is lost and where it is kept, what
// reverts to the backup's and what this instance keeps, and the backup's name typed to confirm.
// The steps and the frame are shared with a moment's restore (restore-steps.tsx).
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
import {
  CheckStepResult,
  ConfirmStep,
  preRestoreNameFor,
  RestoreButtons,
  RestoreDialogFrame,
  RestoreEffects,
  RestoreProgress,
  RestoreStep,
} from "./restore-steps";

export type BackupRow = BackupsOverview["backups"][number];

function BackupFacts({ entry, serverZone }: { entry: BackupRow; serverZone: string }) {
  return (
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
  );
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
  const cancel = useRef<HTMLButtonElement>(null);
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
  useEffect(() => startVerify(), [startVerify]);

  const busy = restore.isPending || restore.isSuccess;
  const canRestore = verify.data?.restorable === true && typed === entry.name && !busy;
  return (
    <RestoreDialogFrame
      title={`Restore ${entry.name}?`}
      testId="restore-dialog"
      busy={busy}
      onClose={onClose}
      dialogRef={dialog}
      cancelRef={cancel}
      footer={
        <RestoreButtons
          cancelRef={cancel}
          busy={busy}
          canRestore={canRestore}
          onCancel={() => dialog.current?.close()}
          onRestore={() => restore.mutate()}
          restoreLabel={`Restore ${entry.name}`}
        />
      }
    >
      <BackupFacts entry={entry} serverZone={serverZone} />
      <RestoreStep id="restore-step-verify" title="Step 1 — Verify the file">
        <CheckStepResult
          pending={verify.isPending}
          pendingText="Verifying: checksum, integrity, and whether this version can start on it… Nothing is being restored."
          result={verify.data}
          error={verify.error}
          what="This backup"
        />
      </RestoreStep>
      {verify.data?.restorable && <RestorePreview name={entry.name} />}
      <RestoreStep id="restore-step-effects" title="Step 2 — What the restore does">
        <RestoreEffects
          since={`this backup was made (${formatInZone(entry.createdAt, serverZone)})`}
          preRestoreName={preRestoreNameFor(new Date())}
        />
      </RestoreStep>
      <RestoreStep id="restore-step-confirm" title="Step 3 — Confirm">
        <ConfirmStep
          label="Type the backup's name to confirm"
          expected={entry.name}
          typed={typed}
          onTyped={setTyped}
          disabled={busy}
        />
      </RestoreStep>
      <RestoreProgress busy={busy} error={restore.error} />
    </RestoreDialogFrame>
  );
}
