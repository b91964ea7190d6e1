// GET    /api/admin/offsite — the offsite target in force (owner). Never includes the secret.
// PUT    /api/admin/offsite — save it (owner). An empty or absent secretAccessKey keeps the saved one.
// DELETE /api/admin/offsite — forget the saved target (owner).
import { z } from "zod";
import { httpFailureOf } from "@/app/api/_shared/errors";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { clearOffsiteTarget, describeOffsiteTarget, OFFSITE_KINDS, saveOffsiteTarget } from "@/lib/offsite/target";

const body = z.object({
  endpoint: z.string().max(500).nullable(),
  region: z.string().max(64),
  bucket: z.string().max(63),
  prefix: z.string().max(200),
  pathStyle: z.boolean(),
  accessKeyId: z.string().max(256),
  secretAccessKey: z.string().max(1024).nullable().optional(),
  recipient: z.string().max(100).nullable(),
  kinds: z.array(z.enum(OFFSITE_KINDS)),
  keepScheduled: z.number().int(),
});
const USAGE =
  'Send { endpoint: string | null, region, bucket, prefix, pathStyle: boolean, accessKeyId, secretAccessKey?: string, recipient: string | null, kinds: ("manual" | "scheduled" | "pre-upgrade")[], keepScheduled: number }.';

const noStore = { "Cache-Control": "no-store" };

export const GET = guardedRoute("owner", async () =>
  Response.json(await describeOffsiteTarget(getConfig()), { headers: noStore }),
);

export const PUT = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, USAGE);
  try {
    const target = await saveOffsiteTarget(getConfig(), input);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "backup.offsite.target.updated",
      result: "SUCCESS",
      targetType: "setting",
      targetId: "offsite.target",
      origin,
      // What changed, never the secret itself.
      metadata: {
        endpoint: target.endpoint,
        bucket: target.bucket,
        prefix: target.prefix,
        encrypted: target.recipient !== null,
        kinds: target.kinds,
        keepScheduled: target.keepScheduled,
        secretChanged: Boolean(input.secretAccessKey),
      },
    });
    return Response.json(target, { headers: noStore });
  } catch (error) {
    const failure = httpFailureOf(error, "offsite");
    return jsonError(failure.status, failure.code, failure.message);
  }
});

export const DELETE = guardedRoute("owner", async (_request, { actor, origin }) => {
  await clearOffsiteTarget();
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "backup.offsite.target.cleared",
    result: "SUCCESS",
    targetType: "setting",
    targetId: "offsite.target",
    origin,
  });
  return Response.json(await describeOffsiteTarget(getConfig()), { headers: noStore });
});
