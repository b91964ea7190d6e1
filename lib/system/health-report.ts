// What /api/health answers — for the container HEALTHCHECK and load balancers, unauthenticated.
// "ok" when the database answers and no migration is pending. The details — backups (ok /
// overdue / failing / unknown, and the last good backup) and replication — are information
// only: they never make the server unhealthy, so a failing backup schedule or an unreachable
// replica does not restart the container. States and a time only, never a backup's name, a
// replica's address or an error (paths, hosts): anyone can ask. What went wrong is logged under
// the request's id, which the answer names.
import { backupHealth } from "./backup-health";
import { getConfig } from "../config";
import { getAppDatabase } from "../db/app-database";
import { logger } from "../log";
import { exclusiveSince } from "../db/lease";
import { localReplicationStatus } from "../replication/status";
import { APP_VERSION } from "../version";
import { migrationSummary } from "./diagnostics";

type BackupsDetail = { state: string; lastGoodAt: string | null; sources: Record<string, string> };
type ReplicationDetail = { state: string; running?: boolean };

export type HealthReport =
  | { status: "ok"; version: string; details: { backups: BackupsDetail; replication: ReplicationDetail } }
  | { status: "restoring" | "unavailable"; version: string; reason: string };

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

function replicationDetail(): ReplicationDetail {
  try {
    const status = localReplicationStatus(getConfig());
    return status.enabled ? { state: status.state, running: status.running } : { state: "off" };
  } catch {
    return { state: "unknown" };
  }
}

/** An unhealthy state in words anyone may read; what went wrong goes to the log under `requestId`. */
function unavailable(what: string, cause: unknown, requestId: string): HealthReport {
  const err = cause instanceof Error ? cause : undefined;
  logger().warn({ err, detail: err ? err.message : String(cause), requestId }, `health: ${what}`);
  return {
    status: "unavailable",
    version: APP_VERSION,
    reason: `${what}; the server's log has the details (request ${requestId})`,
  };
}

export async function healthReport(requestId: string): Promise<HealthReport> {
  if (exclusiveSince() !== null) {
    return { status: "restoring", version: APP_VERSION, reason: "a backup is being restored" };
  }
  try {
    const db = getAppDatabase();
    db.prepare("SELECT 1").get();
    const migrations = migrationSummary(db);
    if (migrations.error) return unavailable("the database's migrations cannot be read", migrations.error, requestId);
    if (migrations.pending > 0) {
      return { status: "unavailable", version: APP_VERSION, reason: `${migrations.pending} migration(s) pending` };
    }
    const details = { backups: await backupsDetail(), replication: replicationDetail() };
    return { status: "ok", version: APP_VERSION, details };
  } catch (error) {
    return unavailable("the database cannot be read", error, requestId);
  }
}
