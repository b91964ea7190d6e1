"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { apiRequest } from "../../api-client";

type Retention = { days: number | null };

/** "Keep audit events N days" (owners); empty keeps them forever. */
export function RetentionForm() {
  const queryClient = useQueryClient();
  const retention = useQuery({
    queryKey: ["audit-retention"],
    queryFn: () => apiRequest<Retention>("/api/admin/audit/retention"),
  });
  const save = useMutation({
    mutationFn: (days: number | null) =>
      apiRequest<Retention & { deleted: number }>("/api/admin/audit/retention", {
        method: "PUT",
        body: JSON.stringify({ days }),
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["audit-retention"] });
      void queryClient.invalidateQueries({ queryKey: ["audit"] });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("days") ?? "").trim();
    save.mutate(value ? Number(value) : null);
  }

  if (!retention.isSuccess) return null;
  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-3 text-sm" aria-label="Audit retention">
      <label className="block">
        <span className="text-slate-600">Keep audit events (days; empty = forever)</span>
        <input
          name="days"
          type="number"
          min={1}
          max={36500}
          defaultValue={retention.data.days ?? ""}
          className="mt-1 block w-40 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </label>
      <button
        type="submit"
        disabled={save.isPending}
        className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50"
      >
        Save retention
      </button>
      {save.isSuccess && (
        <span data-testid="retention-saved" className="text-emerald-700">
          Saved{save.data.deleted > 0 ? `; ${save.data.deleted} older events deleted` : ""}.
        </span>
      )}
      {save.isError && <span className="text-red-700">{save.error.message}</span>}
    </form>
  );
}
