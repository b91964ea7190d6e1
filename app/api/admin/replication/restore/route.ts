// POST /api/admin/replication/restore — owner. Body: { at: ISO time with zone | "latest",
// keepSettings?, identity?: "AGE-SECRET-KEY-1…" }: puts the replica as it was at that moment in
// place of the live database, through the same verify, swap and pre-restore copy as a backup's
// restore. Everyone signs in again. The identity (an encrypted replica's) is used for this request
// only: never stored, logged or audited.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { parseRestoreMoment } from "@/lib/replication/point-in-time";
import { restoreMomentFromConsole } from "@/lib/system/console-restore";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({
  at: z.string().min(1).max(64),
  keepSettings: z.boolean().optional(),
  identity: z.string().max(4096).nullable().optional(),
});

export const POST = guardedRoute(
  BACKUP_PERMISSIONS.restore,
  async (request, { actor, origin }) => {
    const input = await parseJsonBody(
      request,
      body,
      'Send { at: "2026-11-27T06:30:00Z" (ISO 8601 with zone) or "latest", keepSettings?: boolean, identity?: "AGE-SECRET-KEY-1…" }.',
    );
    const report = await restoreMomentFromConsole({
      config: getConfig(),
      at: parseRestoreMoment(input.at),
      shipped: shippedMigrations(),
      keepSettings: input.keepSettings ?? true,
      identityText: input.identity,
      actor: auditActorOf(actor),
      actorLabel: actor.user.username,
      origin,
    });
    return Response.json({ ...report, next: "/login?restored=1" });
  },
  // The restore takes the exclusive lease itself; a shared one around it would wait for it.
  { leaseDatabase: false },
);
