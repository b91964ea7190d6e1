"use client";
// The schedule: presets or a cron expression, described in words as it is typed — or, when the
// server would refuse it, the refusal itself, in the server's words (lib/schedule-rules.ts runs
// on both sides); it runs in the server's time zone, which is named, with the viewer's own time
// beside each run.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { BackupsOverview } from "@/lib/system/backups-overview";
import { CRON_PRESETS, describeCron } from "@/lib/cron-words";
import { scheduleProblem } from "@/lib/schedule-rules";
import { apiRequest } from "../../api-client";
import { useNotice } from "../../notice";
import { When } from "../../when";

type Schedule = BackupsOverview["schedule"];

export function ScheduleForm({
  schedule,
  serverZone,
  canEdit,
}: {
  schedule: Schedule;
  serverZone: string;
  canEdit: boolean;
}) {
  const queryClient = useQueryClient();
  const [cron, setCron] = useState(schedule.cron ?? "");
  const [keep, setKeep] = useState(String(schedule.keep));
  const { notice, setNotice, fail } = useNotice("schedule-message");
  const save = useMutation({
    mutationFn: () =>
      apiRequest<Schedule>("/api/admin/backup-schedule", {
        method: "PUT",
        body: JSON.stringify({ cron: cron.trim() || null, keep: Number(keep) }),
      }),
    onMutate: () => setNotice({ tone: "pending", text: "Saving the schedule…" }),
    onSuccess: (saved) => {
      const words = saved.cron ? (describeCron(saved.cron) ?? saved.cron) : null;
      setNotice({
        tone: "success",
        text: words
          ? `Schedule saved: ${words} (${serverZone}), keeping the newest ${saved.keep}.`
          : `Schedule saved: scheduled backups are off; retention keeps ${saved.keep}.`,
      });
      void queryClient.invalidateQueries({ queryKey: ["backups"] });
    },
    onError: fail,
  });
  // A fixed input clears the error it caused.
  const edited = () => {
    if (notice?.tone !== "pending") setNotice(null);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const words = cron.trim() ? describeCron(cron) : null;
  const problem = scheduleProblem({ cron, keep: Number(keep) });
  const last = schedule.lastRun;
  return (
    <form onSubmit={onSubmit} className="space-y-3">
      <p className="text-sm text-slate-600">
        Schedules run in the server&apos;s time zone, <strong data-testid="server-zone">{serverZone}</strong>.
      </p>
      {canEdit && (
        <div className="flex flex-wrap gap-2" role="group" aria-label="Schedule presets">
          {CRON_PRESETS.map((preset) => (
            <button
              key={preset.cron}
              type="button"
              className="rounded-full border border-slate-300 px-3 py-1 text-xs text-slate-700 hover:bg-slate-50"
              aria-pressed={cron.trim() === preset.cron}
              onClick={() => {
                setCron(preset.cron);
                edited();
              }}
            >
              {preset.label}
            </button>
          ))}
        </div>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <label className="block text-sm">
          <span className="text-slate-700">Schedule (cron, empty = off)</span>
          <input
            name="cron"
            value={cron}
            onChange={(e) => {
              setCron(e.target.value);
              edited();
            }}
            placeholder="0 3 * * *"
            disabled={!canEdit}
            aria-describedby="cron-words"
            aria-invalid={problem !== null && !problem.startsWith("Keep")}
            className="mt-1 block w-56 max-w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 font-mono text-sm"
          />
        </label>
        <label className="block text-sm">
          <span className="text-slate-700">Keep scheduled backups</span>
          <input
            name="keep"
            type="number"
            min={1}
            max={1000}
            value={keep}
            onChange={(e) => {
              setKeep(e.target.value);
              edited();
            }}
            disabled={!canEdit}
            aria-describedby="cron-words"
            aria-invalid={problem?.startsWith("Keep") === true}
            className="mt-1 block w-28 rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm"
          />
        </label>
        {canEdit && (
          <button
            type="submit"
            disabled={save.isPending}
            className="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-600 disabled:opacity-60"
          >
            {save.isPending ? "Saving…" : "Save schedule"}
          </button>
        )}
      </div>
      <p
        id="cron-words"
        data-testid="cron-words"
        data-problem={problem !== null}
        className={`text-sm ${problem ? "font-medium text-red-700" : "text-slate-700"}`}
      >
        {problem ??
          (cron.trim()
            ? words
              ? `${words} (${serverZone})`
              : "A custom expression the server accepts; its next run shows once saved."
            : "Off: no scheduled backups.")}
      </p>
      <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-600">Next run</dt>
        <dd data-testid="schedule-next">
          {schedule.nextRun ? <When at={schedule.nextRun} serverZone={serverZone} /> : "off"}
        </dd>
        <dt className="text-slate-600">Last run</dt>
        <dd data-testid="schedule-last" className="min-w-0 break-words">
          {last ? (
            <>
              <When at={last.at} serverZone={serverZone} /> — {last.ok ? `ok (${last.name})` : `failed: ${last.error}`}
            </>
          ) : (
            "never"
          )}
        </dd>
      </dl>
      <p className="text-xs text-slate-600">
        Retention deletes only scheduled backups (keeping the newest N above) and pre-restore backups (each restore
        keeps the newest 3); manual, pre-upgrade and uploaded backups stay until you delete them.
      </p>
    </form>
  );
}
