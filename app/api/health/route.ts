// GET /api/health — for the container HEALTHCHECK and load balancers; no authentication.
// 200 when the database answers and no migration is pending, 503 otherwise. The details —
// backups (ok / overdue / failing / unknown, and the last good backup) and replication — are
// information only: they never change the status code, so a failing backup schedule or an
// unreachable replica does not restart the container. Unauthenticated: states and a time only,
// never a backup's name, a replica's address or an error (paths, hosts).
import { backupHealth } from "@/lib/backup/health";
import { getConfig } from "@/lib/config";
import { getAppDatabase } from "@/lib/db/app-database";
import { migrationSummary } from "@/lib/system/diagnostics";
import { exclusiveSince } from "@/lib/db/lease";
import { localReplicationStatus } from "@/lib/replication/status";
import { APP_VERSION } from "@/lib/version";

export const dynamic = "force-dynamic";

type BackupsDetail = { state: string; lastGoodAt: string | null; sources: Record<string, string> };

async function backupsDetail(): Promise<BackupsDetail> {
  try {
    const health = await backupHealth(getConfig());
    return {
      state: health.state,
      lastGoodAt: health.lastGood?.createdAt ?? null,
      sources: Object.fromEntries(health.rows.map((row) => [row.source, row.state])),
    };
  } catch {
    return { state: "unknown", lastGoodAt: null, sources: {} };
  }
}

function replicationDetail(): { state: string; running?: boolean } {
  try {
    const status = localReplicationStatus(getConfig());
    return status.enabled ? { state: status.state, running: status.running } : { state: "off" };
  } catch {
    return { state: "unknown" };
  }
}

export async function GET() {
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
    const details = { backups: await backupsDetail(), replication: replicationDetail() };
    return Response.json({ status: "ok", version: APP_VERSION, details }, { headers });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return Response.json({ status: "unavailable", version: APP_VERSION, reason }, { status: 503, headers });
  }
}
