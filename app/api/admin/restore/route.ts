// POST /api/admin/restore — owner. Body: { name, keepSettings? }: a stored backup to put in place
// of the live database. The copy is verified while the console keeps serving; during the swap
// itself other requests wait (503 past 10 s). The schedule is kept unless keepSettings is false.
// Everyone signs in again.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { restoreFromConsole } from "@/lib/system/console-restore";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({ name: z.string().min(1).max(255), keepSettings: z.boolean().optional() });

export const POST = guardedRoute(
  BACKUP_PERMISSIONS.restore,
  async (request, { actor, origin }) => {
    const input = await parseJsonBody(request, body, "Send { name: <stored backup>, keepSettings?: boolean }.");
    const report = await restoreFromConsole({
      config: getConfig(),
      name: input.name,
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
