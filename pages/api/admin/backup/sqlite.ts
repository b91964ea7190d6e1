// POST /api/admin/backup/sqlite — owner only. Snapshot → stored file → streamed download.
//
// Why the Pages Router: an App Router route handler returns a web Response, and Next.js 16
// drops its Content-Length header when sending it (chunked instead). Without Content-Length the
// browser cannot show download progress, and scripted callers cannot tell a complete download
// from a cut one. A Pages API route writes to Node's response directly, so the header stays.
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { NextApiRequest, NextApiResponse } from "next";
import { guardRequest } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import type { Actor } from "@/lib/auth/require-role";
import { createBackup } from "@/lib/backup/create";
import { getConfig } from "@/lib/config";

// No body to parse; no 4 MB response cap (the database is streamed whatever its size).
export const config = { api: { bodyParser: false, responseLimit: false } };

const READ_CHUNK_BYTES = 1024 * 1024;

const actorOf = (actor: Actor | undefined) => ({ type: "USER" as const, id: actor?.user.id ?? null });

// The diagnostics page submits a plain HTML form (?via=form) so that the browser's download
// manager receives the file with a progress bar and never holds it in page memory. Errors then go
// back to the page instead of replacing it with JSON.
function fail(req: NextApiRequest, res: NextApiResponse, status: number, code: string, message: string): void {
  if (req.query.via === "form") {
    res.redirect(303, `/settings/diagnostics?backup_error=${encodeURIComponent(message)}`);
  } else {
    res.status(status).json({ error: { code, message } });
  }
}

export default async function handler(req: NextApiRequest, res: NextApiResponse): Promise<void> {
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    return fail(req, res, 405, "method_not_allowed", "Use POST.");
  }
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  };
  const outcome = await guardRequest(
    "POST",
    header,
    "owner",
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
    { req, res },
  );
  if (!outcome.ok) return fail(req, res, outcome.status, outcome.body.error.code, outcome.body.error.message);
  const { actor, origin } = outcome.context;

  const settings = getConfig();
  let backup;
  try {
    backup = await createBackup(settings.databasePath, settings.backupDir);
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
    return fail(req, res, 500, "backup_failed", `The backup could not be made: ${reason}`);
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

  res.writeHead(200, {
    "Content-Type": "application/vnd.sqlite3",
    "Content-Length": String(backup.bytes),
    "Content-Disposition": `attachment; filename="${backup.name}"`,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  // pipeline() moves one chunk at a time and waits for the socket to drain (constant memory);
  // when the client disconnects it destroys the file stream. The stored backup stays complete.
  try {
    await pipeline(createReadStream(backup.path, { highWaterMark: READ_CHUNK_BYTES }), res);
  } catch (error) {
    console.warn(`[opstage] download of ${backup.name} ended early: ${(error as Error).message}`);
  }
}
