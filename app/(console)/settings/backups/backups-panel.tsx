"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { BackupAction } from "@/lib/roles";
import type { Verification } from "@/lib/backup/manifest";
import type { BackupsOverview } from "@/lib/system/backups-overview";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";
import { BackupList } from "./backup-list";
import { OffsitePanel } from "./offsite-panel";
import { describeProgress, newTicket, pollProgress } from "./progress-poll";
import { RestoreDialog, type BackupRow } from "./restore-dialog";
import { ScheduleForm } from "./schedule-form";
import { SizeChart } from "./size-chart";
import { UploadForm } from "./upload-form";

const card = "rounded-lg border border-slate-200 bg-white p-4 sm:p-6";

export function BackupsPanel({ initial, can }: { initial: BackupsOverview; can: Record<BackupAction, boolean> }) {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: ["backups"],
    queryFn: () => apiRequest<BackupsOverview>("/api/admin/backups"),
    initialData: initial,
    refetchInterval: 5_000,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["backups"] });
  const { setNotice, fail } = useNotice("backups-message");
  const { confirm, dialog } = useConfirm();
  const [restoring, setRestoring] = useState<BackupRow | null>(null);

  const create = useMutation({
    mutationFn: async () => {
      const ticket = newTicket();
      setNotice({ tone: "pending", text: describeProgress(null) });
      const stop = pollProgress(ticket, (progress) => {
        if (progress?.state === "waiting" || progress?.state === "copying") {
          setNotice({ tone: "pending", text: describeProgress(progress) });
        }
      });
      try {
        return await apiRequest<{ name: string }>(`/api/admin/backups?ticket=${ticket}`, { method: "POST" });
      } finally {
        stop();
      }
    },
    onSuccess: (backup) => {
      setNotice({ tone: "success", text: `Stored ${backup.name}.` });
      void refresh();
    },
    onError: fail,
  });
  const verify = useMutation({
    mutationFn: (name: string) =>
      apiRequest<Verification>(`/api/admin/backups/${encodeURIComponent(name)}/verify`, { method: "POST" }),
    onMutate: (name) => setNotice({ tone: "pending", text: `Verifying ${name}…` }),
    onSuccess: (result, name) => {
      setNotice({ tone: result.restorable ? "success" : "error", text: `${name}: ${result.detail}` });
      void refresh();
    },
    onError: fail,
  });
  const retryCopy = useMutation({
    mutationFn: (name: string) =>
      apiRequest(`/api/admin/backups/${encodeURIComponent(name)}/offsite-retry`, { method: "POST" }),
    onSuccess: (_result, name) => {
      setNotice({ tone: "success", text: `The offsite copy of ${name} starts over; its state shows in the list.` });
      void refresh();
    },
    onError: fail,
  });
  const remove = useMutation({
    mutationFn: (name: string) => apiRequest(`/api/admin/backups/${encodeURIComponent(name)}`, { method: "DELETE" }),
    onMutate: (name) => setNotice({ tone: "pending", text: `Deleting ${name}…` }),
    onSuccess: (_result, name) => {
      setNotice({ tone: "success", text: `Deleted ${name}.` });
      void refresh();
    },
    onError: fail,
  });

  return (
    <div className="space-y-6">
      <section className={card} aria-labelledby="schedule-heading">
        <h2 id="schedule-heading" className="mb-3 text-lg font-medium">
          Schedule and retention
        </h2>
        <ScheduleForm schedule={data.schedule} serverZone={data.serverTimeZone} canEdit={can.schedule} />
      </section>

      <section className={card} aria-labelledby="stored-heading">
        <div className="mb-4 flex flex-wrap items-center gap-3">
          <h2 id="stored-heading" className="text-lg font-medium">
            Stored backups
          </h2>
          {can.create && (
            <button
              type="button"
              onClick={() => create.mutate()}
              disabled={create.isPending}
              className="ml-auto rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600 disabled:opacity-60"
            >
              {create.isPending ? "Backing up…" : "Back up now"}
            </button>
          )}
        </div>
        {can.create && !can.download && (
          <p className="mb-3 text-sm text-slate-600" data-testid="operator-note">
            As an operator you can back up now and verify backups; they stay on the server. Downloading, restoring,
            uploading and deleting are for owners.
          </p>
        )}
        {can.upload && (
          <div className="mb-4">
            <UploadForm onUploaded={() => void refresh()} />
          </div>
        )}
        <BackupList
          backups={data.backups}
          offsiteConfigured={data.offsiteConfigured}
          serverZone={data.serverTimeZone}
          can={can}
          on={{
            verify: (name) => verify.mutate(name),
            retryCopy: (name) => retryCopy.mutate(name),
            restore: (entry) => setRestoring(entry),
            remove: (name) => {
              confirm({
                title: `Delete ${name}?`,
                detail: "The backup file is deleted from the server. This cannot be undone.",
                action: "Delete backup",
                onConfirm: () => remove.mutate(name),
              });
            },
          }}
        />
      </section>

      {dialog}

      {restoring && (
        <RestoreDialog
          key={restoring.name}
          entry={restoring}
          serverZone={data.serverTimeZone}
          onClose={() => {
            setRestoring(null);
            void refresh();
          }}
        />
      )}

      {can.offsite && (
        <section className={card} aria-labelledby="offsite-heading">
          <h2 id="offsite-heading" className="mb-3 text-lg font-medium">
            Offsite
          </h2>
          <OffsitePanel />
        </section>
      )}

      <section className={card} aria-labelledby="size-heading">
        <h2 id="size-heading" className="mb-3 text-lg font-medium">
          Size over time
        </h2>
        <SizeChart backups={data.backups} />
      </section>
    </div>
  );
}
