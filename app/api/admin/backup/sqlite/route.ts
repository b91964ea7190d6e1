// POST /api/admin/backup/sqlite — owner only. Snapshot → stored file → streamed download.
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import type { Actor } from "@/lib/auth/require-role";
import { createBackup } from "@/lib/backup/create";
import { fileStream } from "@/lib/backup/stream";
import { getConfig } from "@/lib/config";

// The diagnostics page submits a plain HTML form (?via=form) so the browser's own download
// manager receives the file with a progress bar and never holds it in page memory. Errors then
// go back to the page instead of replacing it with JSON.
function failureResponse(request: Request, status: number, code: string, message: string): Response {
  if (new URL(request.url).searchParams.get("via") === "form") {
    const back = new URL("/settings/diagnostics", request.url);
    back.searchParams.set("backup_error", message);
    return new Response(null, { status: 303, headers: { Location: `${back.pathname}${back.search}` } });
  }
  return jsonError(status, code, message);
}

const actorOf = (actor: Actor | undefined) => ({ type: "USER" as const, id: actor?.user.id ?? null });

export const POST = guardedRoute(
  "owner",
  async (request, { actor, origin }) => {
    const config = getConfig();
    let backup;
    try {
      backup = await createBackup(config.databasePath, config.backupDir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`[opstage] backup failed: ${reason}`);
      await recordAuditSafely({
        actor: actorOf(actor),
        action: "backup.sqlite.failed",
        result: "FAILURE",
        targetType: "database",
        targetId: "opstage.db",
        message: reason,
        origin,
      });
      return failureResponse(request, 500, "backup_failed", `The backup could not be made: ${reason}`);
    }
    await recordAuditSafely({
      actor: actorOf(actor),
      action: "backup.sqlite.created",
      result: "SUCCESS",
      targetType: "backup",
      targetId: backup.name,
      origin,
      metadata: { filename: backup.name, bytes: backup.bytes, durationMs: backup.durationMs, username: actor.user.username },
    });
    const { stream, size } = await fileStream(backup.path);
    return new Response(stream, {
      status: 200,
      headers: {
        "Content-Type": "application/vnd.sqlite3",
        "Content-Length": String(size),
        "Content-Disposition": `attachment; filename="${backup.name}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  },
  {
    onDenied: (reason, origin, actor) =>
      recordAuditSafely({
        actor: actorOf(actor),
        action: "backup.sqlite.denied",
        result: "DENIED",
        targetType: "database",
        targetId: "opstage.db",
        message: reason,
        origin,
      }),
  },
);
