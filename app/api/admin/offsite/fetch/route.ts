// POST /api/admin/offsite/fetch — owner. Body: { name: <offsite copy>, identity?: "AGE-SECRET-KEY-1…" }.
// Downloads the copy into the backup folder, verified (sha256, decrypt, integrity, startable);
// then it is restored like any stored backup (POST /api/admin/restore). The identity is used for
// this request only: never stored, logged or audited.
import { z } from "zod";
import { httpFailureOf } from "@/app/api/_shared/errors";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { fetchOffsiteCopy } from "@/lib/offsite/fetch";
import { withOffsiteTarget } from "@/lib/offsite/session";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({ name: z.string().min(1).max(255), identity: z.string().max(4096).nullable().optional() });

export const POST = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, 'Send { name: <offsite copy>, identity?: "AGE-SECRET-KEY-1…" }.');
  const config = getConfig();
  try {
    const fetched = await withOffsiteTarget(config, (client, target) =>
      fetchOffsiteCopy({
        client,
        target,
        backupDir: config.backupDir,
        objectName: input.name,
        identityText: input.identity,
        shipped: shippedMigrations(),
      }),
    );
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.offsite.fetched",
      result: "SUCCESS",
      targetType: "backup",
      targetId: fetched.name,
      origin,
      metadata: { object: input.name, bytes: fetched.bytes },
    });
    return Response.json(fetched, { status: 201 });
  } catch (error) {
    const failure = httpFailureOf(error, "offsite");
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.offsite.fetch_failed",
      result: "FAILURE",
      targetType: "backup",
      targetId: input.name.slice(0, 255),
      origin,
      message: failure.message,
    });
    return jsonError(failure.status, failure.code, failure.message, failure.headers);
  }
});
