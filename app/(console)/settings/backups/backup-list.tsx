"use client";
// The stored backups: a table from 640 px up (the name column stays in view while the rest
// scrolls sideways), one card per backup below that. Each backup has one Actions menu, holding
// only what the viewer's role may do.
import { Fragment } from "react";
import type { BackupAction } from "@/lib/roles";
import { formatBytes } from "@/lib/format";
import { describeCopyState } from "@/lib/offsite/copy-status";
import { EmptyRow } from "../../empty-row";
import { ScrollRegion } from "../../scroll-region";
import { VerdictBadge } from "../../verdict-badge";
import { When } from "../../when";
import { ActionMenu, type MenuAction } from "./action-menu";
import type { BackupRow } from "./restore-dialog";

export type RowHandlers = {
  verify: (name: string) => void;
  retryCopy: (name: string) => void;
  restore: (entry: BackupRow) => void;
  remove: (name: string) => void;
};

/** A proof queued or stopped by the host, beside the verdict. */
function ProofState({ proof }: { proof: BackupRow["proof"] }) {
  if (!proof) return null;
  return (
    <span data-testid="proof-state" data-state={proof} className="block text-xs text-slate-600">
      {proof === "queued" ? "verifying…" : "could not be verified (disk full or I/O error); tried again later"}
    </span>
  );
}

function actionsFor(entry: BackupRow, can: Record<BackupAction, boolean>, on: RowHandlers): MenuAction[] {
  const actions: MenuAction[] = [];
  const name = entry.name;
  if (can.download) {
    actions.push({
      label: "Download",
      name: `Download ${name}`,
      href: `/api/admin/backups/${encodeURIComponent(name)}`,
    });
  }
  if (can.inspect) {
    actions.push({
      label: "Browse and compare",
      name: `Browse and compare ${name}`,
      href: `/settings/backups/${encodeURIComponent(name)}`,
      navigate: true,
    });
  }
  if (can.verify) actions.push({ label: "Verify", name: `Verify ${name}`, onSelect: () => on.verify(name) });
  if (can.offsite && entry.offsite?.status === "failed") {
    actions.push({
      label: "Retry offsite copy now",
      name: `Retry the offsite copy of ${name}`,
      onSelect: () => on.retryCopy(name),
    });
  }
  if (can.restore) {
    actions.push({
      label: "Restore…",
      name: `Restore ${name}`,
      onSelect: () => on.restore(entry),
      unavailable: entry.verdict.blocksRestore ? entry.verdict.label : undefined,
    });
  }
  if (can.delete)
    actions.push({ label: "Delete…", name: `Delete ${name}`, danger: true, onSelect: () => on.remove(name) });
  return actions;
}

export function BackupList({
  backups,
  offsiteConfigured,
  serverZone,
  can,
  on,
}: {
  backups: BackupRow[];
  offsiteConfigured: boolean;
  serverZone: string;
  can: Record<BackupAction, boolean>;
  on: RowHandlers;
}) {
  const withActions = can.verify || can.restore || can.delete || can.download || can.offsite;
  const columns = 5 + (offsiteConfigured ? 1 : 0) + (withActions ? 1 : 0);
  const sticky = "sticky left-0 z-10 bg-white";
  return (
    <>
      <ScrollRegion label="Stored backups" className="hidden sm:block">
        <table className="w-full text-sm">
          <thead className="text-left text-slate-600">
            <tr>
              <th scope="col" className={`${sticky} py-2 pr-3 font-medium`}>
                Name
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Kind
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Created ({serverZone})
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Size
              </th>
              <th scope="col" className="py-2 pr-3 font-medium">
                Verdict
              </th>
              {offsiteConfigured && (
                <th scope="col" className="py-2 pr-3 font-medium">
                  Offsite
                </th>
              )}
              {withActions && (
                <th scope="col" className="py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {backups.map((entry) => (
              <tr
                key={entry.name}
                data-testid="backup-row"
                data-name={entry.name}
                className="border-t border-slate-100"
              >
                <th
                  scope="row"
                  className={`${sticky} min-w-[17rem] max-w-[20rem] py-2 pr-3 text-left font-mono text-xs font-normal`}
                >
                  <BreakableName name={entry.name} />
                </th>
                <td className="py-2 pr-3">{entry.kind}</td>
                <td className="py-2 pr-3 text-xs">
                  <When at={entry.createdAt} serverZone={serverZone} age />
                </td>
                <td className="py-2 pr-3 whitespace-nowrap">{formatBytes(entry.bytes)}</td>
                <td className="py-2 pr-3">
                  <VerdictBadge verdict={entry.verdict} />
                  <ProofState proof={entry.proof} />
                </td>
                {offsiteConfigured && (
                  <td
                    data-testid="offsite-state"
                    className="max-w-64 py-2 pr-3 text-xs"
                    title={entry.offsite?.error ?? undefined}
                  >
                    {describeCopyState(entry.offsite)}
                  </td>
                )}
                {withActions && (
                  <td className="py-2 text-right">
                    <ActionMenu label={`Actions for ${entry.name}`} actions={actionsFor(entry, can, on)} />
                  </td>
                )}
              </tr>
            ))}
            {backups.length === 0 && <EmptyRow columns={columns}>No backups yet.</EmptyRow>}
          </tbody>
        </table>
      </ScrollRegion>

      <ul className="space-y-3 sm:hidden" aria-label="Stored backups">
        {backups.map((entry) => (
          <li
            key={entry.name}
            data-testid="backup-card"
            data-name={entry.name}
            className="rounded-md border border-slate-200 p-3 text-sm"
          >
            <div className="flex items-start justify-between gap-2">
              <span className="min-w-0 font-mono text-xs break-all">{entry.name}</span>
              {withActions && <ActionMenu label={`Actions for ${entry.name}`} actions={actionsFor(entry, can, on)} />}
            </div>
            <dl className="mt-2 grid grid-cols-[max-content_minmax(0,1fr)] gap-x-3 gap-y-1 text-xs">
              <dt className="text-slate-600">Kind</dt>
              <dd>{entry.kind}</dd>
              <dt className="text-slate-600">Created</dt>
              <dd>
                <When at={entry.createdAt} serverZone={serverZone} age />
              </dd>
              <dt className="text-slate-600">Size</dt>
              <dd>{formatBytes(entry.bytes)}</dd>
              <dt className="text-slate-600">Verdict</dt>
              <dd>
                <VerdictBadge verdict={entry.verdict} />
                <ProofState proof={entry.proof} />
              </dd>
              {offsiteConfigured && (
                <>
                  <dt className="text-slate-600">Offsite</dt>
                  <dd>{describeCopyState(entry.offsite)}</dd>
                </>
              )}
            </dl>
          </li>
        ))}
        {backups.length === 0 && <li className="py-6 text-center text-slate-600">No backups yet.</li>}
      </ul>
    </>
  );
}

/**
 * A backup's name, allowed to wrap only after its hyphens: in a column at least 17rem wide, one
 * line for a plain name and two for a pre-restore or uploaded one, never a break mid-timestamp.
 */
function BreakableName({ name }: { name: string }) {
  const parts = name.split(/(?<=-)/);
  return (
    <span data-testid="backup-name">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </span>
  );
}
