// GET /api/admin/replication — viewer. Replication's state and the replica's generations (the
// restorable window), for Settings → Replication and its periodic refresh.
import { guardedRoute } from "@/app/api/_shared/http";
import { getConfig } from "@/lib/config";
import { replicationStatus } from "@/lib/replication/status";

export const GET = guardedRoute(
  "viewer",
  async () =>
    Response.json(await replicationStatus(getConfig(), { includeReplica: true }), {
      headers: { "Cache-Control": "no-store" },
    }),
  // Listing the replica reads no database.
  { leaseDatabase: false },
);
