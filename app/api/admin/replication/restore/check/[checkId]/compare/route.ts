// /api/admin/replication/restore/check/{checkId}/compare — owner. What restoring a checked moment
// changes: the live database compared with the moment's verified copy (the restore dialog's
// preview), the same way and with the same answers as a stored backup's compare route.
//   POST {"against":"live"} — starts it (202, the job); the same comparison running is joined;
//     another one running answers 409; an unknown or expired check answers 404.
//   GET ?id=JOB — its progress, then its result.      DELETE ?id=JOB — cancels it.
// The check is kept while its comparison reads it (lib/replication/moment-check.ts, readMomentCheck).
import { z } from "zod";
import { comparisonJobRoutes, comparisonStarted } from "@/app/api/_shared/comparison-routes";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { startComparisonWithLive } from "@/lib/inspect/comparison-job";
import { readMomentCheck } from "@/lib/replication/moment-check";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

const BODY = z.object({ against: z.literal("live") });

export const POST = guardedRoute<{ checkId: string }>(
  BACKUP_PERMISSIONS.restore,
  async (request, { actor, origin }, { checkId }) => {
    await parseJsonBody(request, BODY, 'Send {"against":"live"}.');
    const config = getConfig();
    const checked = readMomentCheck(config, checkId);
    const job = await startComparisonWithLive(
      config.databasePath,
      { path: checked.path, label: checked.label },
      shippedMigrations(),
      checked.release,
    );
    await recordAuditSafely({
      actor: auditActorOf(actor),
      // As a stored backup's comparison is, named as the moment's restore is.
      action: "backup.compared",
      result: "SUCCESS",
      targetType: "backup",
      targetId: checked.label,
      origin,
      metadata: { against: "live", checkId },
    });
    return comparisonStarted(job);
  },
);

const jobRoutes = comparisonJobRoutes<{ checkId: string }>(BACKUP_PERMISSIONS.restore);
export const GET = jobRoutes.GET;
export const DELETE = jobRoutes.DELETE;
