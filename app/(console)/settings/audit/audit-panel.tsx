"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import type { FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { AuditTarget } from "../../audit-target";
import { EmptyRow } from "../../empty-row";
import { ScrollRegion } from "../../scroll-region";
import { formatInZone } from "@/lib/time-format";

type AuditRow = {
  id: string;
  createdAt: string;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  result: string;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  message: string | null;
};
type AuditPage = { events: AuditRow[]; nextCursor: string | null };

const FILTERS = [
  { name: "action", label: "Action starts with", placeholder: "user." },
  { name: "actor", label: "Actor", placeholder: "username" },
  { name: "target", label: "Target id", placeholder: "" },
] as const;
const inputClass = "mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm";
const LIVE_REFRESH_MS = 5_000;

/** datetime-local values are local time; the URL carries ISO instants so a shared link means one moment. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function AuditPanel() {
  const router = useRouter();
  const pathname = "/settings/audit";
  // Typed nullable because the pages/ directory exists; under the App Router it is always set.
  const searchParams = useSearchParams() ?? new URLSearchParams();
  const filterQuery = new URLSearchParams(
    [...searchParams].filter(
      ([key, value]) => ["action", "actor", "result", "target", "from", "to"].includes(key) && value,
    ),
  ).toString();

  const pages = useInfiniteQuery({
    queryKey: ["audit", filterQuery],
    queryFn: ({ pageParam }) =>
      apiRequest<AuditPage>(
        `/api/admin/audit?${filterQuery}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ""}`,
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Only the first page refreshes itself: refetching every loaded page would re-read them all.
    refetchInterval: (query) => ((query.state.data?.pages.length ?? 1) <= 1 ? LIVE_REFRESH_MS : false),
  });

  function onFilter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of ["action", "actor", "target", "result"]) {
      const value = String(form.get(name) ?? "").trim();
      if (value) next.set(name, value);
    }
    for (const name of ["from", "to"]) {
      const value = String(form.get(name) ?? "");
      if (value) next.set(name, new Date(value).toISOString());
    }
    router.replace(next.size ? `${pathname}?${next}` : pathname);
  }

  const rows = pages.data?.pages.flatMap((page) => page.events) ?? [];
  const exportQuery = filterQuery ? `&${filterQuery}` : "";

  return (
    <div className="space-y-4">
      <form
        key={filterQuery}
        onSubmit={onFilter}
        className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4"
        aria-label="Audit filters"
      >
        {FILTERS.map((filter) => (
          <label key={filter.name} className="block text-sm">
            <span className="text-slate-600">{filter.label}</span>
            <input
              name={filter.name}
              defaultValue={searchParams.get(filter.name) ?? ""}
              placeholder={filter.placeholder}
              className={`${inputClass} w-40`}
            />
          </label>
        ))}
        <label className="block text-sm">
          <span className="text-slate-600">Result</span>
          <select name="result" defaultValue={searchParams.get("result") ?? ""} className={inputClass}>
            <option value="">any</option>
            <option value="SUCCESS">success</option>
            <option value="FAILURE">failure</option>
            <option value="DENIED">denied</option>
          </select>
        </label>
        <label className="block text-sm">
          <span className="text-slate-600">From</span>
          <input
            name="from"
            type="datetime-local"
            defaultValue={toLocalInput(searchParams.get("from"))}
            className={inputClass}
          />
        </label>
        <label className="block text-sm">
          <span className="text-slate-600">To</span>
          <input
            name="to"
            type="datetime-local"
            defaultValue={toLocalInput(searchParams.get("to"))}
            className={inputClass}
          />
        </label>
        <button
          type="submit"
          className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
        >
          Filter
        </button>
        <Link href={pathname} className="text-sm text-slate-600 underline">
          Clear
        </Link>
        <span className="ml-auto space-x-3 text-sm">
          <a
            href={`/api/admin/audit/export?format=csv${exportQuery}`}
            className="text-indigo-600 hover:underline"
            download
          >
            Export CSV
          </a>
          <a
            href={`/api/admin/audit/export?format=ndjson${exportQuery}`}
            className="text-indigo-600 hover:underline"
            download
          >
            Export NDJSON
          </a>
        </span>
      </form>

      {pages.isError && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {pages.error.message}
        </p>
      )}

      <ScrollRegion label="Audit events" className="rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-sm">
          <thead className="bg-slate-50 text-left text-slate-500">
            <tr>
              <th className="px-4 py-2 font-medium">When</th>
              <th className="px-4 py-2 font-medium">Actor</th>
              <th className="px-4 py-2 font-medium">Action</th>
              <th className="px-4 py-2 font-medium">Result</th>
              <th className="px-4 py-2 font-medium">Target</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((event) => (
              <tr key={event.id} data-testid="audit-row" className="border-t border-slate-100">
                <td className="px-4 py-2 whitespace-nowrap text-slate-500">
                  <Link href={`/settings/audit/${event.id}`} className="hover:underline">
                    {formatInZone(event.createdAt, "UTC", true)}
                  </Link>
                </td>
                <td className="px-4 py-2">
                  {event.actorName ?? (event.actorId ? `${event.actorType} ${event.actorId}` : event.actorType)}
                </td>
                <td className="px-4 py-2 font-mono text-xs" data-testid="audit-action">
                  <Link href={`/settings/audit/${event.id}`} className="hover:underline">
                    {event.action}
                  </Link>
                </td>
                <td className="px-4 py-2">{event.result}</td>
                <td className="px-4 py-2 text-slate-600">
                  <AuditTarget event={event} />
                </td>
              </tr>
            ))}
            {pages.isSuccess && rows.length === 0 && <EmptyRow columns={5}>No events match.</EmptyRow>}
          </tbody>
        </table>
      </ScrollRegion>
      {pages.hasNextPage && (
        <button
          type="button"
          onClick={() => pages.fetchNextPage()}
          disabled={pages.isFetchingNextPage}
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
        >
          {pages.isFetchingNextPage ? "Loading…" : "Older events"}
        </button>
      )}
    </div>
  );
}
