// POST /api/admin/replication/restore — owner. Body: { at: ISO time with zone | "latest",
// keepSettings? }: puts the replica as it was at that moment in place of the live database,
// through the same verify, swap and pre-restore copy as a backup's restore. Everyone signs in again.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/auth/roles";
import { getConfig } from "@/lib/config";
import { parseRestoreMoment } from "@/lib/replication/point-in-time";
import { restoreMomentFromConsole } from "@/lib/system/console-restore";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({ at: z.string().min(1).max(64), keepSettings: z.boolean().optional() });

export const POST = guardedRoute(
  BACKUP_PERMISSIONS.restore,
  async (request, { actor, origin }) => {
    const input = await parseJsonBody(
      request,
      body,
      'Send { at: "2026-11-27T06:30:00Z" (ISO 8601 with zone) or "latest", keepSettings?: boolean }.',
    );
    const report = await restoreMomentFromConsole({
      config: getConfig(),
      at: parseRestoreMoment(input.at),
      shipped: shippedMigrations(),
      keepSettings: input.keepSettings ?? true,
      actor: auditActorOf(actor),
      actorLabel: actor.user.username,
      origin,
    });
    return Response.json({ ...report, next: "/login?restored=1" });
  },
  // The restore takes the exclusive lease itself; a shared one around it would wait for it.
  { leaseDatabase: false },
);
