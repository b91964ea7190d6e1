"use client";
// A user's live sessions, with End on each and one button that ends several: My account lists
// the caller's own ("End all others"), Settings → Users lists another user's ("End all").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiRequest } from "./api-client";
import { EmptyRow } from "./empty-row";
import { useConfirm } from "./confirm-dialog";
import { useNotice } from "./notice";
import { ScrollRegion } from "./scroll-region";
import { formatInZone, relativeAge } from "@/lib/time-format";

export type SessionRow = {
  handle: string;
  browser: string;
  os: string;
  ipAddress: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
};

const smallButton = "rounded-md border border-slate-300 px-2.5 py-1 text-xs hover:bg-slate-50 disabled:opacity-60";
// Red text needs a lighter red on the dark page (globals.css mirrors slate only).
const dangerText = "text-red-700";

export function SessionList({
  listUrl,
  label,
  endAll,
  onEndedCurrent,
}: {
  /** GET lists the sessions; DELETE `${listUrl}/{handle}` ends one. */
  listUrl: string;
  /** Names the table for screen readers ("Your sessions", "Sessions of alice"). */
  label: string;
  endAll: { label: string; url: string; method: "POST" | "DELETE"; confirm: string };
  /** Called when the session ended is the one this browser uses. */
  onEndedCurrent?: () => void;
}) {
  const queryClient = useQueryClient();
  const { setNotice, fail } = useNotice("sessions-notice");
  const { confirm, dialog } = useConfirm();
  const sessions = useQuery({ queryKey: ["sessions", listUrl], queryFn: () => apiRequest<SessionRow[]>(listUrl) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["sessions", listUrl] });

  const endOne = useMutation({
    mutationFn: (session: SessionRow) =>
      apiRequest(`${listUrl}/${encodeURIComponent(session.handle)}`, { method: "DELETE" }),
    onSuccess: (_result, session) => {
      if (session.current) return onEndedCurrent?.();
      setNotice({ tone: "success", text: `Ended the session of ${session.browser} on ${session.os}.` });
      void refresh();
    },
    onError: (error) => {
      fail(error);
      void refresh();
    },
  });
  const endMany = useMutation({
    mutationFn: () => apiRequest<{ ended: number }>(endAll.url, { method: endAll.method }),
    onSuccess: (result) => {
      setNotice({ tone: "success", text: `Ended ${result.ended} session${result.ended === 1 ? "" : "s"}.` });
      void refresh();
    },
    onError: fail,
  });

  const rows = sessions.data ?? [];
  const others = rows.filter((row) => !row.current).length;
  return (
    <div className="space-y-3">
      {dialog}
      {/* relative: the header's sr-only text is absolutely placed, and must not reach past the region. */}
      <ScrollRegion label={label} className="relative">
        <table className="w-full text-sm" data-testid="session-list">
          <thead className="text-left text-slate-500">
            <tr>
              <th className="py-2 pr-3 font-medium">Browser</th>
              <th className="py-2 pr-3 font-medium">Address</th>
              <th className="py-2 pr-3 font-medium">Signed in</th>
              <th className="py-2 pr-3 font-medium">Last seen</th>
              <th className="py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.handle}
                data-testid="session-row"
                data-current={row.current}
                className="border-t border-slate-100"
              >
                <td className="py-2 pr-3">
                  {row.browser} <span className="text-slate-600">on {row.os}</span>
                  {row.current && (
                    <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs whitespace-nowrap">this one</span>
                  )}
                </td>
                <td className="py-2 pr-3 font-mono text-xs">{row.ipAddress ?? "unknown"}</td>
                <td className="py-2 pr-3 whitespace-nowrap">{formatInZone(row.createdAt, "UTC")}</td>
                <td className="py-2 pr-3 whitespace-nowrap">{relativeAge(row.lastSeenAt)}</td>
                <td className="py-2 whitespace-nowrap">
                  <button
                    type="button"
                    className={`${smallButton} ${dangerText}`}
                    disabled={endOne.isPending}
                    aria-label={`End the session of ${row.browser} on ${row.os}${row.current ? " (this one)" : ""}`}
                    onClick={() => {
                      confirm({
                        title: `End the session of ${row.browser} on ${row.os}?`,
                        detail: row.current
                          ? "It is the one you are using: you will be signed out here."
                          : "That browser is signed out at once.",
                        action: "End session",
                        onConfirm: () => endOne.mutate(row),
                      });
                    }}
                  >
                    End
                  </button>
                </td>
              </tr>
            ))}
            {sessions.isSuccess && rows.length === 0 && <EmptyRow columns={5}>No active sessions.</EmptyRow>}
          </tbody>
        </table>
      </ScrollRegion>
      {sessions.isError && (
        <p role="alert" className={`text-sm ${dangerText}`}>
          {sessions.error.message}
        </p>
      )}
      <button
        type="button"
        className={`${smallButton} ${dangerText}`}
        disabled={endMany.isPending || others === 0}
        onClick={() => {
          confirm({
            title: endAll.confirm,
            detail: "Each of those browsers is signed out at once.",
            action: endAll.label,
            onConfirm: () => endMany.mutate(),
          });
        }}
      >
        {endAll.label}
      </button>
    </div>
  );
}
