// GET /api/admin/diagnostics — the Diagnostics page's data, for its periodic refresh.
import { guardedRoute } from "@/app/api/_shared/http";
import { getConfig } from "@/lib/config";
import { getAppDatabase } from "@/lib/db/app-database";
import { collectDiagnostics } from "@/lib/system/diagnostics";

export const GET = guardedRoute("viewer", async () =>
  Response.json(collectDiagnostics(getConfig(), getAppDatabase()), { headers: { "Cache-Control": "no-store" } }),
);
