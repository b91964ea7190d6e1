// /api/admin/backups/{name}/compare — owner. What changes going from another database to this
// backup, per table (rows added, removed, changed by primary key) and as readable lines.
//   POST {"against":"live"} or {"against":"backup","name":"opstage-….db"} — starts it (202, the
//     job); the same comparison running is joined; another one running answers 409.
//   GET ?id=JOB — its progress, then its result.      DELETE ?id=JOB — cancels it.
// The live database is read by a read-only connection in the worker, in one read transaction
// (a consistent moment), under a database lease so that a restore cannot swap the file meanwhile.
import { z } from "zod";
import { comparisonJobRoutes, comparisonStarted } from "@/app/api/_shared/comparison-routes";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { startComparison, startComparisonWithLive } from "@/lib/inspect/comparison-job";
import { inspectableBackupPath } from "@/lib/inspect/inspect";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

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
    const job = live
      ? await startComparisonWithLive(databasePath, to, shippedMigrations())
      : startComparison(
          { path: inspectableBackupPath(backupDir, body.name), label: body.name },
          to,
          shippedMigrations(),
        );
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.compared",
      result: "SUCCESS",
      targetType: "backup",
      targetId: name,
      origin,
      metadata: { against: live ? "live" : body.name },
    });
    return comparisonStarted(job);
  },
);

const jobRoutes = comparisonJobRoutes<{ name: string }>(BACKUP_PERMISSIONS.inspect);
export const GET = jobRoutes.GET;
export const DELETE = jobRoutes.DELETE;
