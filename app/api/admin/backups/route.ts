// GET  /api/admin/backups — stored backups and the schedule (any signed-in role).
// POST /api/admin/backups?ticket= — "Back up now": store a backup without downloading it
// (operator). The optional ticket lets the page show, while this request waits, whether it is
// queued behind another backup or copying (GET /api/admin/backup-progress).
import { guardedRoute } from "@/app/api/_shared/http";
import { auditActorOf, actorLabelOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { createAuditedBackup } from "@/lib/system/audited-backup";
import { trackSnapshot } from "@/lib/backup/progress";
import { backupsOverview } from "@/lib/system/backups-overview";
import { getConfig } from "@/lib/config";
import { shippedMigrations } from "@/lib/system/diagnostics";

export const GET = guardedRoute(BACKUP_PERMISSIONS.list, async () =>
  Response.json(await backupsOverview(getConfig(), shippedMigrations()), { headers: { "Cache-Control": "no-store" } }),
);

export const POST = guardedRoute(BACKUP_PERMISSIONS.create, async (request, { actor, origin }) => {
  const progress = trackSnapshot(new URL(request.url).searchParams.get("ticket"));
  try {
    const { path: _path, ...manifest } = await createAuditedBackup({
      config: getConfig(),
      kind: "manual",
      actor: auditActorOf(actor),
      actorLabel: actorLabelOf(actor),
      origin,
      observer: {
        acquired: progress.acquired,
        started: ({ name, bytes }) => progress.started(name, bytes),
        copied: progress.copied,
      },
    });
    progress.done(manifest.name);
    return Response.json(manifest, { status: 201 });
  } catch (error) {
    progress.failed(error instanceof Error ? error.message : String(error));
    throw error;
  }
});
