// DELETE /api/admin/replication/restore/check/{checkId} — owner. Removes a checked moment's temp
// file (the owner cancelled or closed the restore dialog). Unknown or already removed: 404.
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { cancelMomentCheck } from "@/lib/replication/moment-check";

export const DELETE = guardedRoute<{ checkId: string }>(
  BACKUP_PERMISSIONS.restore,
  async (_request, _context, { checkId }) => {
    if (!cancelMomentCheck(getConfig(), checkId)) {
      return jsonError(404, "check_not_found", `There is no checked moment ${checkId}: it was already removed.`);
    }
    return Response.json({ checkId, status: "removed" });
  },
  { leaseDatabase: false },
);
