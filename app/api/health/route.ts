// GET /api/health — for the container HEALTHCHECK and load balancers; no authentication.
// 200 when the database answers and no migration is pending, 503 otherwise. The `backups`
// detail (ok / overdue / failing / unknown, and the last good backup) is information only: it
// never changes the status code, so a failing backup schedule does not restart the container.
// Unauthenticated: the state and a time only, never a backup's name or an error (paths).
import { backupHealth } from "@/lib/backup/health";
import { getConfig } from "@/lib/config";
import { getAppDatabase } from "@/lib/db/app-database";
import { migrationSummary } from "@/lib/system/diagnostics";
import { exclusiveSince } from "@/lib/db/lease";
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
    return Response.json({ status: "ok", version: APP_VERSION, backups: await backupsDetail() }, { headers });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return Response.json({ status: "unavailable", version: APP_VERSION, reason }, { status: 503, headers });
  }
}
