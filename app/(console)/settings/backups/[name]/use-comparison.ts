"use client";
// Starts a comparison on the server (POST …/compare), polls its progress until it ends, and
// cancels it on request. The server runs one comparison at a time: a second, different one is
// refused with 409 and the refusal is shown as it is.
import { useMutation, useQuery } from "@tanstack/react-query";
import type { ComparisonJob } from "@/lib/inspect/types";
import { apiRequest } from "../../../api-client";

/** What the comparison is against: the live database, or another stored backup. */
export type CompareAgainst = { against: "live" } | { against: "backup"; name: string };

/** The compare endpoint of a stored backup. */
export function compareUrlOf(name: string): string {
  return `/api/admin/backups/${encodeURIComponent(name)}/compare`;
}

/** `base`: a compare endpoint (POST starts, GET ?id= polls, DELETE ?id= cancels). */
export function useComparison(base: string) {
  const start = useMutation({
    mutationFn: (against: CompareAgainst) =>
      apiRequest<ComparisonJob>(base, { method: "POST", body: JSON.stringify(against) }),
  });
  const id = start.data?.id;
  const job = useQuery({
    queryKey: ["comparison", id],
    queryFn: () => apiRequest<ComparisonJob>(`${base}?id=${encodeURIComponent(id!)}`),
    enabled: Boolean(id),
    initialData: start.data,
    refetchInterval: (query) => (query.state.data?.state === "running" ? 500 : false),
  });
  const cancel = useMutation({
    mutationFn: () => apiRequest<ComparisonJob>(`${base}?id=${encodeURIComponent(id!)}`, { method: "DELETE" }),
    onSuccess: () => void job.refetch(),
  });
  return { start, job: id ? job.data : undefined, pollError: job.error, cancel };
}
