// POST /api/admin/replication/restore — owner. Body: { checkId, keepSettings? }: installs the
// moment checked by POST /api/admin/replication/restore/check (its verified temp file, not a new
// restore from the replica). Or, for scripts, { at: ISO time with zone | "latest", keepSettings?,
// identity?: "AGE-SECRET-KEY-1…" }: checks and installs in one request. Either way the same swap
// and pre-restore copy as a backup's restore; the restorer signs in again. The identity (an
// encrypted replica's) is used for this request only: never stored, logged or audited.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { parseRestoreMoment } from "@/lib/replication/point-in-time";
import { restoreCheckedMomentFromConsole, restoreMomentFromConsole } from "@/lib/system/console-restore";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.union([
  z.object({ checkId: z.string().min(1).max(64), keepSettings: z.boolean().optional() }).strict(),
  z
    .object({
      at: z.string().min(1).max(64),
      keepSettings: z.boolean().optional(),
      identity: z.string().max(4096).nullable().optional(),
    })
    .strict(),
]);

export const POST = guardedRoute(
  BACKUP_PERMISSIONS.restore,
  async (request, { actor, origin }) => {
    const input = await parseJsonBody(
      request,
      body,
      'Send { checkId } from POST /api/admin/replication/restore/check, or { at: "2026-11-27T06:30:00Z" (ISO 8601 with zone) or "latest", keepSettings?: boolean, identity?: "AGE-SECRET-KEY-1…" }.',
    );
    const common = {
      config: getConfig(),
      shipped: shippedMigrations(),
      keepSettings: input.keepSettings ?? true,
      actor: auditActorOf(actor),
      actorLabel: actor.user.username,
      origin,
    };
    const report =
      "checkId" in input
        ? await restoreCheckedMomentFromConsole({ ...common, checkId: input.checkId })
        : await restoreMomentFromConsole({ ...common, at: parseRestoreMoment(input.at), identityText: input.identity });
    return Response.json({ ...report, next: "/login?restored=1" });
  },
  // The restore takes the exclusive lease itself; a shared one around it would wait for it.
  { leaseDatabase: false },
);
