// GET /api/admin/backups/{name}/inspect — owner. What the backup holds: its tables (row counts)
// and the readable views of users, tokens, schedule, offsite target, alert channels and the
// newest audit events, secrets masked; read-only, in a worker. Audited.
// GET …/inspect?sizes=1 — the tables with what each occupies (SQLite's dbstat reads every page
// of the file, 1-2 s per GB: asked for apart, so the first answer does not wait for it).
import { guardedRoute } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { backupContents, backupDomainView, inspectableBackupPath } from "@/lib/inspect/inspect";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

export const GET = guardedRoute<{ name: string }>(
  BACKUP_PERMISSIONS.inspect,
  async (request, { actor, origin }, { name }) => {
    const file = inspectableBackupPath(getConfig().backupDir, name);
    const shipped = shippedMigrations();
    if (new URL(request.url).searchParams.get("sizes") === "1") {
      const sized = await backupContents(file, shipped, { sizes: true });
      return Response.json(sized, { headers: { "Cache-Control": "no-store" } });
    }
    const [contents, domain] = await Promise.all([backupContents(file, shipped), backupDomainView(file, shipped)]);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.browsed",
      result: "SUCCESS",
      targetType: "backup",
      targetId: name,
      origin,
    });
    return Response.json({ name, ...contents, domain }, { headers: { "Cache-Control": "no-store" } });
  },
);
