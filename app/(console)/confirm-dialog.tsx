"use client";
// The one question asked before anything destructive or access-changing (delete, revoke, a role
// or status change, ending sessions): the object named in the title, what follows in a line, and
// Cancel focused first, so Enter or a stray click never does it. A native <dialog> opened with
// showModal(): the browser traps focus inside and Escape cancels; focus goes back to where it
// was on close. Never the browser's confirm(): it cannot be styled, named or tested like the page.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";

export type Confirmation = {
  /** The question, naming the object: "Delete user alice?" */
  title: string;
  /** What follows, in a sentence or two. */
  detail?: ReactNode;
  /** The button that does it: "Delete user". */
  action: string;
  /** Red for what destroys or takes away; the console's blue for what gives back (Enable). */
  destructive?: boolean;
  onConfirm: () => void;
};

export function ConfirmDialog({ confirmation, onClose }: { confirmation: Confirmation; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement as HTMLElement | null;
    if (element && !element.open) element.showModal();
    cancel.current?.focus();
    return () => opener?.focus();
  }, []);
  const destructive = confirmation.destructive ?? true;
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      aria-describedby={confirmation.detail ? "confirm-detail" : undefined}
      data-testid="confirm-dialog"
      onClose={onClose}
      className="m-auto w-[min(28rem,calc(100vw-1.5rem))] rounded-lg border border-slate-300 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      <form method="dialog" className="space-y-4 p-5">
        <h2 id="confirm-title" className="text-lg font-semibold break-words">
          {confirmation.title}
        </h2>
        {confirmation.detail && (
          <p id="confirm-detail" className="text-sm text-slate-700">
            {confirmation.detail}
          </p>
        )}
        <div className="flex flex-wrap justify-end gap-2">
          <button
            ref={cancel}
            type="submit"
            value="cancel"
            className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            Cancel
          </button>
          <button
            type="submit"
            value="confirm"
            onClick={() => confirmation.onConfirm()}
            className={`rounded-md px-3 py-1.5 text-sm font-medium text-white ${
              destructive ? "bg-red-700 hover:bg-red-600" : "bg-indigo-700 hover:bg-indigo-600"
            }`}
          >
            {confirmation.action}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * `confirm({...})` opens the dialog; put `dialog` anywhere in the panel. One question at a time,
 * which is all a modal allows anyway.
 */
export function useConfirm() {
  const [open, setOpen] = useState<Confirmation | null>(null);
  const confirm = useCallback((confirmation: Confirmation) => setOpen(confirmation), []);
  const dialog = open ? <ConfirmDialog confirmation={open} onClose={() => setOpen(null)} /> : null;
  return { confirm, dialog };
}
