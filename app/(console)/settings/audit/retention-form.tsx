"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";

type Retention = { days: number | null };

/** "Keep audit events N days" (owners); empty keeps them forever. */
export function RetentionForm() {
  const queryClient = useQueryClient();
  const retention = useQuery({
    queryKey: ["audit-retention"],
    queryFn: () => apiRequest<Retention>("/api/admin/audit/retention"),
  });
  const { setNotice, fail } = useNotice("retention-saved");
  const { confirm, dialog } = useConfirm();
  const save = useMutation({
    mutationFn: (days: number | null) =>
      apiRequest<Retention & { deleted: number }>("/api/admin/audit/retention", {
        method: "PUT",
        body: JSON.stringify({ days }),
      }),
    onSuccess: (saved) => {
      setNotice({
        tone: "success",
        text: `Saved${saved.deleted > 0 ? `; ${saved.deleted} older events deleted` : ""}.`,
      });
      void queryClient.invalidateQueries({ queryKey: ["audit-retention"] });
      void queryClient.invalidateQueries({ queryKey: ["audit"] });
    },
    onError: fail,
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("days") ?? "").trim();
    const days = value ? Number(value) : null;
    // Keeping them for ever deletes nothing; a number of days deletes what is older, for good.
    if (days === null) return save.mutate(null);
    confirm({
      title: `Keep audit events for ${days} days?`,
      detail: `Events older than ${days} days are deleted now and from then on. This cannot be undone.`,
      action: "Save and delete older events",
      onConfirm: () => save.mutate(days),
    });
  }

  if (!retention.isSuccess) return null;
  return (
    <>
      {dialog}
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
      </form>
    </>
  );
}
