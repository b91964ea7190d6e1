// POST /api/admin/offsite/test — owner. Writes, reads back and deletes a small object in the
// target in force; answers { ok, step?, message? } naming the step that failed.
import { httpFailureOf } from "@/app/api/_shared/errors";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { testOffsiteConnection } from "@/lib/offsite/connection-test";
import { loadOffsiteTarget, OffsiteConfigError } from "@/lib/offsite/target";

export const POST = guardedRoute("owner", async (_request, { actor, origin }) => {
  try {
    const target = await loadOffsiteTarget(getConfig());
    if (!target)
      throw new OffsiteConfigError(
        "No offsite target is configured yet: enter the bucket, access key id and secret, and save.",
      );
    const result = await testOffsiteConnection(target);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.offsite.tested",
      result: result.ok ? "SUCCESS" : "FAILURE",
      targetType: "setting",
      targetId: "offsite.target",
      origin,
      message: result.ok ? undefined : result.message,
      metadata: { bucket: target.bucket, step: result.ok ? null : result.step },
    });
    return Response.json(result);
  } catch (error) {
    const failure = httpFailureOf(error, "offsite");
    return jsonError(failure.status, failure.code, failure.message);
  }
});
