"use client";
// What just happened, said one way on every page: a toast (sonner) — pending (amber), success
// (green, a tick) or error (red, a cross, role=alert, kept until dismissed or replaced). Toasts
// live in the console layout's <Toaster>, not in the panel that raised them, so a panel that
// re-renders or remounts (a form reloading its saved values) does not take its "Saved." with it.
// One toast per panel (its id): a new notice replaces the panel's last one instead of piling up.
// An ended session gets a sign-in link instead of a dead end.
import { useCallback, useState } from "react";
import { toast } from "sonner";
import { ApiError } from "./api-client";

export type Notice = { tone: "pending" | "success" | "error"; text: string; signIn?: boolean };

const TONE: Record<Notice["tone"], string> = {
  pending: "border-amber-300 bg-amber-50 text-amber-900",
  success: "border-emerald-300 bg-emerald-50 text-emerald-900",
  error: "border-red-300 bg-red-50 text-red-900",
};

// Said to screen readers before the text, and shown as a mark: the colour is not the only cue.
const PREFIX: Record<Notice["tone"], string> = { pending: "Working: ", success: "Done: ", error: "Error: " };
const MARK: Record<Notice["tone"], string> = { pending: "…", success: "✓", error: "✕" };

// Success fades; pending and errors stay until replaced (an error must be read, not raced).
const DURATION: Record<Notice["tone"], number> = { pending: Infinity, success: 10_000, error: Infinity };

function NoticeCard({ notice, id }: { notice: Notice; id: string }) {
  return (
    <div
      data-testid={id}
      data-tone={notice.tone}
      role={notice.tone === "error" ? "alert" : "status"}
      className={`flex w-[var(--width)] max-w-[calc(100vw-2rem)] items-start gap-2 rounded-md border px-3 py-2 text-sm shadow-lg ${TONE[notice.tone]}`}
    >
      <span aria-hidden="true" className="font-bold">
        {MARK[notice.tone]}
      </span>
      <span className="min-w-0 flex-1 break-words">
        <span className="sr-only">{PREFIX[notice.tone]}</span>
        {notice.text}
        {notice.signIn && (
          <>
            {" "}
            <a
              className="font-medium underline"
              href={`/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`}
            >
              Sign in
            </a>
          </>
        )}
      </span>
      <button
        type="button"
        aria-label="Dismiss"
        onClick={() => notify(id, null)}
        className="-my-0.5 rounded px-1 leading-none opacity-80 hover:opacity-100"
      >
        <svg aria-hidden="true" viewBox="0 0 12 12" className="h-3 w-3" stroke="currentColor" strokeWidth="1.8">
          <path d="M2 2l8 8M10 2l-8 8" />
        </svg>
      </button>
    </div>
  );
}

// sonner keeps a dismissed toast on screen for its exit animation (about 200 ms), and a toast
// created under the same id meanwhile is merged into it and removed with it: a notice raised
// just after the panel's last one was taken away (a file picked, then Upload pressed at once)
// waits until the old one is gone.
const EXIT_MS = 400;
const dismissedAt = new Map<string, number>();
const waiting = new Map<string, ReturnType<typeof setTimeout>>();

/** Shows `notice` as the toast `id` (replacing that id's last one); null takes it away. */
export function notify(id: string, notice: Notice | null) {
  clearTimeout(waiting.get(id));
  waiting.delete(id);
  if (!notice) {
    if (toast.getToasts().some((shown) => shown.id === id)) dismissedAt.set(id, Date.now());
    toast.dismiss(id);
    return;
  }
  const show = () => {
    waiting.delete(id);
    toast.custom(() => <NoticeCard notice={notice} id={id} />, { id, duration: DURATION[notice.tone] });
  };
  const wait = (dismissedAt.get(id) ?? 0) + EXIT_MS - Date.now();
  if (wait > 0) waiting.set(id, setTimeout(show, wait));
  else show();
}

/** The notice of an API failure: its message, and a sign-in link when the session has ended. */
export function noticeOf(error: unknown): Notice {
  const signIn = error instanceof ApiError && error.status === 401;
  return { tone: "error", text: error instanceof Error ? error.message : String(error), signIn };
}

/** A panel's notices, shown as the toast `id` (its test id too). */
export function useNotice(id: string) {
  const [notice, setNoticeState] = useState<Notice | null>(null);
  const setNotice = useCallback(
    (next: Notice | null) => {
      setNoticeState(next);
      notify(id, next);
    },
    [id],
  );
  const fail = useCallback((error: unknown) => setNotice(noticeOf(error)), [setNotice]);
  return { notice, setNotice, fail };
}
