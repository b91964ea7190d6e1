"use client";
// Restore to a moment with the same care as a stored backup (restore-steps.tsx): first the check
// — the server restores the replica as it was then into a temp file beside the live database and
// verifies it, nothing is replaced — then what is lost / reverts / kept, the moment typed to
// confirm, and the destructive button, which installs that very checked file. The checked file
// is removed when the dialog is cancelled or closed (or the page left); the server also removes
// it when the check expires and at start. An encrypted replica's identity is asked here, sent
// with the check only, and never kept by the page.
import { useMutation } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { MomentCheck } from "@/lib/replication/moment-check";
import { formatInZone } from "@/lib/time-format";
import { apiRequest } from "../../api-client";
import { useViewerZone } from "../../when";
import {
  CheckStepResult,
  ConfirmStep,
  preRestoreNameFor,
  RestoreButtons,
  RestoreDialogFrame,
  RestoreEffects,
  RestoreProgress,
  RestoreStep,
} from "../backups/restore-steps";

/** The moment in the server's zone and the viewer's, each named. */
export function MomentInZones({ at, serverZone, testId }: { at: string; serverZone: string; testId?: string }) {
  const viewerZone = useViewerZone();
  const moment = at === "latest" ? null : at;
  if (!moment) return <span data-testid={testId}>the newest moment the replica holds</span>;
  return (
    <span data-testid={testId}>
      <time dateTime={moment}>{formatInZone(moment, serverZone, true)}</time> (server, {serverZone})
      {viewerZone && viewerZone !== serverZone && (
        <>
          {" · "}
          {formatInZone(moment, viewerZone, true)} (your time, {viewerZone})
        </>
      )}
    </span>
  );
}

function discardCheck(checkId: string): void {
  // keepalive: the request still goes out when the page is being left.
  void fetch(`/api/admin/replication/restore/check/${encodeURIComponent(checkId)}`, {
    method: "DELETE",
    keepalive: true,
  }).catch(() => undefined);
}

function CheckStep({
  encryptedTo,
  identity,
  onIdentity,
  onCheck,
  check,
}: {
  encryptedTo: string | null;
  identity: string;
  onIdentity: (value: string) => void;
  onCheck: () => void;
  check: { isPending: boolean; isIdle: boolean; data: MomentCheck | undefined; error: Error | null };
}) {
  return (
    <RestoreStep id="moment-step-check" title="Step 1 — Check the moment">
      <p className="mt-1 text-slate-700">
        The replica as it was then is restored into a temp file beside the live database and verified like a stored
        backup: integrity, and whether this version can start on it. Nothing is replaced yet.
      </p>
      {encryptedTo && (
        <form
          className="mt-2 flex flex-wrap items-end gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            onCheck();
          }}
        >
          <label className="block min-w-0 flex-1">
            <span className="text-slate-700">
              age identity of the replica (encrypted to{" "}
              <code className="font-mono text-xs break-all">{encryptedTo}</code>; used for this check only, never
              stored)
            </span>
            <input
              name="identity"
              type="password"
              autoComplete="off"
              value={identity}
              onChange={(event) => onIdentity(event.target.value)}
              placeholder="AGE-SECRET-KEY-1…"
              disabled={check.isPending || Boolean(check.data)}
              className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 font-mono text-xs"
              data-testid="replication-identity"
            />
          </label>
          <button
            type="submit"
            disabled={check.isPending || Boolean(check.data) || !identity.trim()}
            className="rounded-md border border-slate-400 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50 disabled:opacity-50"
          >
            Check
          </button>
        </form>
      )}
      <CheckStepResult
        pending={check.isPending}
        pendingText="Checking: restoring the moment into a temp file and verifying it… Nothing is being replaced."
        result={check.data?.verification}
        error={check.error}
        what="This moment"
      />
    </RestoreStep>
  );
}

export function MomentRestoreDialog({
  at,
  serverZone,
  encryptedTo,
  onClose,
}: {
  /** ISO time with zone, or "latest". */
  at: string;
  serverZone: string;
  encryptedTo: string | null;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [identity, setIdentity] = useState("");
  const [typed, setTyped] = useState("");
  /** The check whose file still waits on the server: removed when the dialog goes without installing it. */
  const pending = useRef<string | null>(null);
  const check = useMutation({
    mutationFn: (identityText: string | null) =>
      apiRequest<MomentCheck>("/api/admin/replication/restore/check", {
        method: "POST",
        body: JSON.stringify({ at, identity: identityText }),
      }),
    onSuccess: (result) => {
      pending.current = result.checkId;
    },
    onSettled: () => setIdentity(""),
  });
  const restore = useMutation({
    mutationFn: (checkId: string) =>
      apiRequest<{ next: string }>("/api/admin/replication/restore", {
        method: "POST",
        body: JSON.stringify({ checkId }),
      }),
    onSuccess: (result) => {
      pending.current = null;
      void signOut({ callbackUrl: result.next });
    },
    // A refused install has used up its check (the server removed it).
    onError: () => {
      pending.current = null;
    },
  });
  const { mutate: startCheck } = check;
  useEffect(() => {
    if (!encryptedTo) startCheck(null);
  }, [encryptedTo, startCheck]);
  const release = useCallback(() => {
    if (pending.current) discardCheck(pending.current);
    pending.current = null;
  }, []);
  useEffect(() => {
    window.addEventListener("pagehide", release);
    return () => {
      window.removeEventListener("pagehide", release);
      release();
    };
  }, [release]);

  const checked = check.data;
  const expected = checked && checked.moment !== "latest" ? formatInZone(checked.moment, serverZone, true) : "latest";
  const busy = restore.isPending || restore.isSuccess;
  const canRestore =
    checked?.verification.restorable === true && typed.trim() === expected && !busy && !restore.isError;
  return (
    <RestoreDialogFrame
      title="Restore the replica to a moment?"
      testId="moment-restore-dialog"
      busy={busy}
      onClose={() => {
        release();
        onClose();
      }}
      dialogRef={dialog}
      cancelRef={cancel}
      footer={
        <RestoreButtons
          cancelRef={cancel}
          busy={busy}
          canRestore={canRestore}
          onCancel={() => dialog.current?.close()}
          onRestore={() => checked && restore.mutate(checked.checkId)}
          restoreLabel="Restore this moment"
        />
      }
    >
      <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm" data-testid="moment-facts">
        <dt className="text-slate-600">Moment</dt>
        <dd>
          <MomentInZones at={checked?.moment ?? at} serverZone={serverZone} testId="moment-restored" />
          {checked && checked.moment !== checked.requested && (
            <span className="block text-slate-600">
              The replica keeps whole seconds: this is the whole second at or before the moment asked for.
            </span>
          )}
        </dd>
        <dt className="text-slate-600">Replica</dt>
        <dd className="break-all">{checked?.replicaLabel ?? "…"}</dd>
        {checked?.generation && (
          <>
            <dt className="text-slate-600">Generation</dt>
            <dd className="font-mono text-xs leading-5 break-all">{checked.generation.generation}</dd>
          </>
        )}
      </dl>
      <CheckStep
        encryptedTo={encryptedTo}
        identity={identity}
        onIdentity={setIdentity}
        onCheck={() => startCheck(identity)}
        check={check}
      />
      <RestoreStep id="moment-step-effects" title="Step 2 — What the restore does">
        <RestoreEffects
          since={
            checked && checked.moment !== "latest"
              ? `that moment (${formatInZone(checked.moment, serverZone, true)})`
              : "the replica's newest data"
          }
          preRestoreName={preRestoreNameFor(new Date())}
        />
      </RestoreStep>
      <RestoreStep id="moment-step-confirm" title="Step 3 — Confirm">
        <ConfirmStep
          label="Type the moment as the server shows it to confirm"
          expected={expected}
          typed={typed}
          onTyped={setTyped}
          disabled={busy || !checked}
        />
      </RestoreStep>
      <RestoreProgress busy={busy} error={restore.error} />
    </RestoreDialogFrame>
  );
}
