"use client";
// What just happened, said once, in one place per panel: pending (amber, with a spinner-free
// text), success (green) or error (red, role=alert). The live region is always in the page so a
// screen reader hears each change; an ended session gets a sign-in link instead of a dead end.
import { useCallback, useState } from "react";
import { ApiError } from "./api-client";

export type Notice = { tone: "pending" | "success" | "error"; text: string; signIn?: boolean };

const TONE: Record<Notice["tone"], string> = {
  pending: "border-amber-300 bg-amber-50 text-amber-900",
  success: "border-emerald-300 bg-emerald-50 text-emerald-900",
  error: "border-red-300 bg-red-50 text-red-900",
};

const PREFIX: Record<Notice["tone"], string> = { pending: "Working: ", success: "Done: ", error: "Error: " };

export function useNotice() {
  const [notice, setNotice] = useState<Notice | null>(null);
  const fail = useCallback((error: unknown) => {
    const signIn = error instanceof ApiError && error.status === 401;
    setNotice({ tone: "error", text: error instanceof Error ? error.message : String(error), signIn });
  }, []);
  return { notice, setNotice, fail };
}

export function NoticeRegion({ notice, testId }: { notice: Notice | null; testId?: string }) {
  return (
    <div aria-live="polite" aria-atomic="true">
      {notice && (
        <div
          data-testid={testId}
          data-tone={notice.tone}
          role={notice.tone === "error" ? "alert" : "status"}
          className={`rounded-md border px-3 py-2 text-sm ${TONE[notice.tone]}`}
        >
          <span className="sr-only">{PREFIX[notice.tone]}</span>
          {notice.text}
          {notice.signIn && (
            <>
              {" "}
              <a
                className="font-medium underline"
                href={`/login?callbackUrl=${encodeURIComponent(
                  typeof window === "undefined" ? "/" : window.location.pathname,
                )}`}
              >
                Sign in
              </a>
            </>
          )}
        </div>
      )}
    </div>
  );
}
