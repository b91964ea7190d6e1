// POST /api/admin/restore — owner. Body: { name } of a stored backup. Replaces the live database
// with it (pre-restore snapshot first); other requests get 503 meanwhile. Everyone signs in again.
import { z } from "zod";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { auditActorOf } from "@/lib/auth/require-role";
import { getConfig } from "@/lib/config";
import { restoreFromConsole } from "@/lib/system/console-restore";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({ name: z.string().min(1).max(255) });

const STATUS: Record<string, number> = { BackupNameError: 404, RestoreError: 400, MaintenanceError: 409 };

export const POST = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, "Send { name: <stored backup> }.");
  try {
    const report = await restoreFromConsole({
      config: getConfig(),
      name: input.name,
      shipped: shippedMigrations(),
      actor: auditActorOf(actor),
      actorLabel: actor.user.username,
      origin,
    });
    return Response.json({ ...report, next: "/login?restored=1" });
  } catch (error) {
    const status = error instanceof Error ? STATUS[error.name] : undefined;
    if (status) return jsonError(status, "restore_refused", (error as Error).message);
    throw error;
  }
});
