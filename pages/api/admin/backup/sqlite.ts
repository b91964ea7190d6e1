// POST /api/admin/backup/sqlite — owner (session or API token). Snapshot → stored file (with
// manifest) → streamed download. The endpoint of the seed's backup options 1 and 3.
//
// Why the Pages Router: an App Router route handler returns a web Response, and Next.js 16
// drops its Content-Length header when sending it (chunked instead). Without Content-Length the
// browser cannot show download progress, and scripted callers cannot tell a complete download
// from a cut one. A Pages API route writes to Node's response directly, so the header stays.
import type { NextApiRequest, NextApiResponse } from "next";
import { httpFailureOf } from "@/app/api/_shared/backup-errors";
import { guardPagesRequest, methodNotAllowed, sendBackupFile } from "@/app/api/_shared/pages-api";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/require-role";
import { createAuditedBackup } from "@/lib/backup/audited";
import { getConfig } from "@/lib/config";

// No body to parse; no 4 MB response cap (the database is streamed whatever its size).
export const config = { api: { bodyParser: false, responseLimit: false } };

export default async function handler(req: NextApiRequest, res: NextApiResponse): Promise<void> {
  // The diagnostics page submits a plain HTML form (?via=form) so that the browser's download
  // manager receives the file with a progress bar and never holds it in page memory. Errors then
  // go back to the page instead of replacing it with JSON.
  const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    if (req.query.via === "form") {
      res.redirect(303, `/settings/diagnostics?backup_error=${encodeURIComponent(message)}`);
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(status).json({ error: { code, message } });
  };
  if (req.method !== "POST") return methodNotAllowed(res, ["POST"]);

  const context = await guardPagesRequest(req, res, "owner", {
    onRefused: fail,
    onDenied: (reason, origin, actor) =>
      recordAuditSafely({
        actor: auditActorOf(actor),
        action: "backup.sqlite.denied",
        result: "DENIED",
        targetType: "database",
        targetId: "opstage.db",
        message: reason,
        origin,
      }),
  });
  if (!context) return;
  const { actor, origin } = context;

  let backup;
  try {
    backup = await createAuditedBackup({
      config: getConfig(),
      kind: "manual",
      actor: auditActorOf(actor),
      actorLabel: actor.token ? `token ${actor.token.name} (${actor.user.username})` : actor.user.username,
      origin,
    });
  } catch (error) {
    const failure = httpFailureOf(error);
    return fail(failure.status, failure.code, failure.message, failure.headers);
  }
  await sendBackupFile(res, backup.path, backup.name, backup.bytes);
}
