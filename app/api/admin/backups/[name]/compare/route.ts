// /api/admin/backups/{name}/compare — owner. What changes going from another database to this
// backup, per table (rows added, removed, changed by primary key) and as readable lines.
//   POST {"against":"live"} or {"against":"backup","name":"opstage-….db"} — starts it (202, the
//     job); the same comparison running is joined; another one running answers 409.
//   GET ?id=JOB — its progress, then its result.      DELETE ?id=JOB — cancels it.
// The live database is read by a read-only connection in the worker, in one read transaction
// (a consistent moment), under a database lease so that a restore cannot swap the file meanwhile.
import { z } from "zod";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { acquireSharedLease } from "@/lib/db/lease";
import { cancelComparison, comparisonJob, startComparison } from "@/lib/inspect/comparison-job";
import { inspectableBackupPath } from "@/lib/inspect/inspect";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

const LIVE_LABEL = "the live database";

const BODY = z.union([
  z.object({ against: z.literal("live") }),
  z.object({ against: z.literal("backup"), name: z.string().min(1).max(255) }),
]);
const USAGE = 'Send {"against":"live"} or {"against":"backup","name":"opstage-….db"}.';

export const POST = guardedRoute<{ name: string }>(
  BACKUP_PERMISSIONS.inspect,
  async (request, { actor, origin }, { name }) => {
    const body = await parseJsonBody(request, BODY, USAGE);
    const { backupDir, databasePath } = getConfig();
    const to = { path: inspectableBackupPath(backupDir, name), label: name };
    const live = body.against === "live";
    const from = live
      ? { path: databasePath, label: LIVE_LABEL }
      : { path: inspectableBackupPath(backupDir, body.name), label: body.name };
    // Counted on this request's lease and held until the comparison ends (lib/db/lease.ts).
    const release = live ? await acquireSharedLease() : () => {};
    const job = startComparison(from, to, shippedMigrations(), release);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.compared",
      result: "SUCCESS",
      targetType: "backup",
      targetId: name,
      origin,
      metadata: { against: live ? "live" : body.name },
    });
    return Response.json(job, { status: 202, headers: { "Cache-Control": "no-store" } });
  },
);

function jobId(request: Request): string | null {
  return new URL(request.url).searchParams.get("id");
}

export const GET = guardedRoute<{ name: string }>(BACKUP_PERMISSIONS.inspect, async (request) => {
  const id = jobId(request);
  if (!id) return jsonError(400, "invalid_input", "Say which comparison: ?id=JOB (POST answers it).");
  return Response.json(comparisonJob(id), { headers: { "Cache-Control": "no-store" } });
});

export const DELETE = guardedRoute<{ name: string }>(BACKUP_PERMISSIONS.inspect, async (request) => {
  const id = jobId(request);
  if (!id) return jsonError(400, "invalid_input", "Say which comparison: ?id=JOB.");
  return Response.json(await cancelComparison(id));
});
