// GET /api/health — for the container HEALTHCHECK and load balancers; no authentication.
// 200 when the database answers and no migration is pending, 503 otherwise.
import { getAppDatabase } from "@/lib/db/app-database";
import { migrationSummary } from "@/lib/system/diagnostics";
import { exclusiveSince } from "@/lib/db/lease";
import { getConfig } from "@/lib/config";
import { localReplicationStatus } from "@/lib/replication/status";
import { APP_VERSION } from "@/lib/version";

export const dynamic = "force-dynamic";

// Replication's state as a detail: it never makes the health check fail (a replica that cannot
// be reached must not get the container restarted), and nothing in reading it can throw here.
function replicationDetails() {
  try {
    const status = localReplicationStatus(getConfig());
    if (!status.enabled) return { state: "off" as const };
    return {
      state: status.state,
      replica: status.replicaLabel,
      running: status.running,
      lastError: status.setupError ?? status.lastError?.message ?? null,
    };
  } catch (error) {
    return { state: "unknown" as const, lastError: error instanceof Error ? error.message : String(error) };
  }
}

export function GET() {
  const headers = { "Cache-Control": "no-store" };
  if (exclusiveSince() !== null) {
    return Response.json(
      { status: "restoring", version: APP_VERSION, reason: "a backup is being restored" },
      { status: 503, headers: { ...headers, "Retry-After": "15" } },
    );
  }
  try {
    const db = getAppDatabase();
    db.prepare("SELECT 1").get();
    const migrations = migrationSummary(db);
    if (migrations.error || migrations.pending > 0) {
      const reason = migrations.error ?? `${migrations.pending} migration(s) pending`;
      return Response.json({ status: "unavailable", version: APP_VERSION, reason }, { status: 503, headers });
    }
    return Response.json(
      { status: "ok", version: APP_VERSION, details: { replication: replicationDetails() } },
      { headers },
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return Response.json({ status: "unavailable", version: APP_VERSION, reason }, { status: 503, headers });
  }
}
