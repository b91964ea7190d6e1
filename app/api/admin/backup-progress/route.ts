// GET /api/admin/backup-progress?ticket= — operator. Where the snapshot started with that ticket
// has got to (lib/backup/progress.ts); 404 for a ticket this process never saw.
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { isTicket, snapshotProgress } from "@/lib/backup/progress";

export const GET = guardedRoute(BACKUP_PERMISSIONS.create, async (request) => {
  const ticket = new URL(request.url).searchParams.get("ticket");
  if (!isTicket(ticket)) return jsonError(400, "invalid_input", "Send ?ticket= (8-64 letters, digits or dashes).");
  const progress = snapshotProgress(ticket);
  if (!progress) return jsonError(404, "not_found", "No backup with that ticket (yet).");
  return Response.json(progress, { headers: { "Cache-Control": "no-store" } });
});
