// GET  /api/admin/backups — stored backups and the schedule (any signed-in role).
// POST /api/admin/backups — "Back up now": store a backup without downloading it (owner).
import { guardedRoute } from "@/app/api/_shared/http";
import { auditActorOf, actorLabelOf } from "@/lib/auth/require-role";
import { createAuditedBackup } from "@/lib/backup/audited";
import { backupsOverview } from "@/lib/backup/overview";
import { getConfig } from "@/lib/config";

export const GET = guardedRoute("viewer", async () =>
  Response.json(await backupsOverview(getConfig()), { headers: { "Cache-Control": "no-store" } }),
);

export const POST = guardedRoute("owner", async (_request, { actor, origin }) => {
  const { path: _path, ...manifest } = await createAuditedBackup({
    config: getConfig(),
    kind: "manual",
    actor: auditActorOf(actor),
    actorLabel: actorLabelOf(actor),
    origin,
  });
  return Response.json(manifest, { status: 201 });
});
