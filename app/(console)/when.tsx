"use client";
// A time as the server keeps it (its zone named), the viewer's own zone beside it when that
// differs, and how long ago. The viewer's zone is only known in the browser, so it appears after
// hydration (useSyncExternalStore gives the server render no local part, so both renders match).
import { useSyncExternalStore } from "react";
import { formatInZone, relativeAge } from "@/lib/time-format";

const noSubscribe = () => () => undefined;

export function useViewerZone(): string | null {
  return useSyncExternalStore(
    noSubscribe,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    () => null,
  );
}

export function When({
  at,
  serverZone,
  age = false,
  testId,
}: {
  at: string;
  serverZone: string;
  age?: boolean;
  testId?: string;
}) {
  const viewerZone = useViewerZone();
  const server = formatInZone(at, serverZone);
  const local = viewerZone ? formatInZone(at, viewerZone) : null;
  return (
    <span data-testid={testId}>
      <time dateTime={at}>{server}</time>
      {local && local !== server && <span className="text-slate-600"> ({local} your time)</span>}
      {age && viewerZone && <span className="text-slate-600"> · {relativeAge(at)}</span>}
    </span>
  );
}
