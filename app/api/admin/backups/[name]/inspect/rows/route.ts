// GET /api/admin/backups/{name}/inspect/rows?table=T&after=CURSOR&limit=N — owner. One page of a
// table's rows in key order (keyset paging: `next` is the cursor of the following page), secret
// columns masked.
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { getConfig } from "@/lib/config";
import { backupRows, DEFAULT_PAGE_ROWS, inspectableBackupPath } from "@/lib/inspect/inspect";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

export const GET = guardedRoute<{ name: string }>(BACKUP_PERMISSIONS.inspect, async (request, _context, { name }) => {
  const params = new URL(request.url).searchParams;
  const table = params.get("table");
  if (!table) return jsonError(400, "invalid_input", "Say which table: ?table=NAME (the inspect answer lists them).");
  const limit = Number(params.get("limit") ?? DEFAULT_PAGE_ROWS);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    return jsonError(400, "invalid_input", "limit must be a whole number from 1 to 500.");
  }
  const file = inspectableBackupPath(getConfig().backupDir, name);
  const page = await backupRows(file, table, { after: params.get("after"), limit }, shippedMigrations());
  return Response.json(page, { headers: { "Cache-Control": "no-store" } });
});
