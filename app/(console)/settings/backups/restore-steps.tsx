"use client";
// The parts every restore dialog is made of — a stored backup's (restore-dialog.tsx) and a
// moment's (settings/replication/moment-restore-dialog.tsx) — so both say the same thing the same
// way: the frame, the check step, what is lost / reverts / kept, the typed confirmation and the
// destructive button. Each step is its own component, so a step can be added between them (a
// preview of the differences between the check and the confirmation).
//
// The frame is a native <dialog> opened with showModal(): the browser traps focus inside and
// Escape cancels; focus goes back to where it was on close. Its title and its buttons stay in
// view and only the steps between them scroll: on a phone the whole dialog does not fit, and
// showModal() would focus the first field (the confirmation, far down) and scroll the title away;
// focus goes to Cancel instead, which is always in view.
import { useEffect, useRef, type ReactNode, type RefObject } from "react";

export type CheckResult = { restorable: boolean; detail: string };

export function RestoreDialogFrame({
  title,
  testId,
  busy,
  onClose,
  dialogRef,
  cancelRef,
  footer,
  children,
}: {
  title: ReactNode;
  testId: string;
  busy: boolean;
  onClose: () => void;
  dialogRef: RefObject<HTMLDialogElement | null>;
  cancelRef: RefObject<HTMLButtonElement | null>;
  footer: ReactNode;
  children: ReactNode;
}) {
  const body = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = dialogRef.current;
    const opener = document.activeElement as HTMLElement | null;
    if (element && !element.open) element.showModal();
    cancelRef.current?.focus({ preventScroll: true });
    body.current?.scrollTo({ top: 0 });
    return () => opener?.focus();
  }, [dialogRef, cancelRef]);
  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={`${testId}-title`}
      data-testid={testId}
      onCancel={(event) => {
        if (busy) event.preventDefault();
      }}
      onClose={onClose}
      className="m-auto max-h-[calc(100dvh-1.5rem)] w-[min(40rem,calc(100vw-1.5rem))] flex-col overflow-hidden rounded-lg border border-slate-300 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50 open:flex"
    >
      <h2
        id={`${testId}-title`}
        className="shrink-0 border-b border-slate-200 px-5 py-3 text-lg font-semibold break-all sm:px-6"
      >
        {title}
      </h2>
      <div ref={body} className="min-h-0 flex-1 space-y-4 overflow-y-auto px-5 py-4 sm:px-6">
        {children}
      </div>
      <div className="flex shrink-0 flex-wrap justify-end gap-3 border-t border-slate-200 px-5 py-3 sm:px-6">
        {footer}
      </div>
    </dialog>
  );
}

export function RestoreStep({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="text-sm">
      <h3 id={id} className="font-semibold">
        {title}
      </h3>
      {children}
    </section>
  );
}

/** The check step's result: the same words for a stored backup and for a moment. */
export function CheckStepResult({
  pending,
  pendingText,
  result,
  error,
  what,
}: {
  pending: boolean;
  pendingText: string;
  result: CheckResult | undefined;
  error: Error | null;
  /** "This backup", "This moment". */
  what: string;
}) {
  return (
    <div aria-live="polite" className="mt-1 text-sm" data-testid="restore-verify">
      {pending && (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900">{pendingText}</p>
      )}
      {result?.restorable && (
        <p className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-emerald-900">
          Verified: {result.detail}
        </p>
      )}
      {result && !result.restorable && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
          {what} cannot be restored: {result.detail}
        </p>
      )}
      {error && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900">
          Could not verify it: {error.message}
        </p>
      )}
    </div>
  );
}

/**
 * What the restore does (lib/backup/restore-changes.ts: the schedule, the offsite target and the
 * alert channels are carried over; users, passwords, roles and API tokens are the restored ones).
 */
export function RestoreEffects({ since, preRestoreName }: { since: string; preRestoreName: string }) {
  return (
    <ul className="mt-1 list-disc space-y-1 pl-5 text-slate-800" data-testid="restore-effects">
      <li>
        <strong>Lost from the live database:</strong> everything written since {since}. It is <strong>kept</strong> in
        the pre-restore backup <code className="font-mono text-xs break-all">{preRestoreName}</code> made just before
        the swap (the newest 3 pre-restore backups are kept); &ldquo;Undo this restore&rdquo; restores that one.
      </li>
      <li>
        <strong>Reverts to the restored copy&apos;s:</strong> users, passwords, roles, two-factor sign-in (enrolments
        and recovery codes) and who is disabled; API tokens (tokens revoked since work again: &ldquo;What changed&rdquo;
        lists them, each with Revoke); the audit log and all other data.
      </li>
      <li>
        <strong>Kept from this instance:</strong> the backup schedule and retention, the offsite target and the alert
        channels.
      </li>
      <li>
        Requests pause for a moment during the swap. You sign in again; others stay signed in if the restored copy has
        their user.
      </li>
    </ul>
  );
}

/** Names the pre-restore backup a restore started now will keep (the seconds and after are the server's). */
export function preRestoreNameFor(at: Date): string {
  return `opstage-${at.toISOString().replace(/[-:]/g, "").slice(0, 15)}…-pre-restore.db`;
}

export function ConfirmStep({
  label,
  expected,
  typed,
  onTyped,
  disabled,
}: {
  label: string;
  expected: string;
  typed: string;
  onTyped: (value: string) => void;
  disabled: boolean;
}) {
  return (
    <label className="mt-1 block">
      <span className="text-slate-700">{label}</span>
      <input
        value={typed}
        onChange={(event) => onTyped(event.target.value)}
        autoComplete="off"
        spellCheck={false}
        disabled={disabled}
        placeholder={expected}
        className="mt-1 block w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 font-mono text-xs"
      />
    </label>
  );
}

export function RestoreProgress({ busy, error }: { busy: boolean; error: Error | null }) {
  return (
    <div aria-live="polite">
      {busy && (
        <p
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
          data-testid="restore-progress"
        >
          Restoring… the console pauses meanwhile; you will be asked to sign in again.
        </p>
      )}
      {error && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
          The restore was refused; nothing was changed. {error.message}
        </p>
      )}
    </div>
  );
}

/** Cancel (focused when the dialog opens) and the destructive Restore. */
export function RestoreButtons({
  cancelRef,
  busy,
  canRestore,
  onCancel,
  onRestore,
  restoreLabel,
}: {
  cancelRef: RefObject<HTMLButtonElement | null>;
  busy: boolean;
  canRestore: boolean;
  onCancel: () => void;
  onRestore: () => void;
  restoreLabel: string;
}) {
  return (
    <>
      <button
        ref={cancelRef}
        type="button"
        disabled={busy}
        onClick={onCancel}
        className="rounded-md border border-slate-400 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50 disabled:opacity-50"
      >
        Cancel
      </button>
      <button
        type="button"
        disabled={!canRestore}
        onClick={onRestore}
        aria-label={restoreLabel}
        className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-600 disabled:cursor-not-allowed disabled:opacity-50"
      >
        {busy ? "Restoring…" : "Restore"}
      </button>
    </>
  );
}
