// GET  /api/admin/backups — stored backups and the schedule (any signed-in role).
// POST /api/admin/backups — "Back up now": store a backup without downloading it (owner).
import { httpFailureOf } from "@/app/api/_shared/backup-errors";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { auditActorOf } from "@/lib/auth/require-role";
import { createAuditedBackup } from "@/lib/backup/audited";
import { backupsOverview } from "@/lib/backup/overview";
import { getConfig } from "@/lib/config";

export const GET = guardedRoute("viewer", async () =>
  Response.json(await backupsOverview(getConfig()), { headers: { "Cache-Control": "no-store" } }),
);

export const POST = guardedRoute("owner", async (_request, { actor, origin }) => {
  try {
    const backup = await createAuditedBackup({
      config: getConfig(),
      kind: "manual",
      actor: auditActorOf(actor),
      actorLabel: actor.token ? `token ${actor.token.name} (${actor.user.username})` : actor.user.username,
      origin,
    });
    const { path: _path, ...manifest } = backup;
    return Response.json(manifest, { status: 201 });
  } catch (error) {
    const failure = httpFailureOf(error);
    return jsonError(failure.status, failure.code, failure.message, failure.headers);
  }
});
