// POST /api/admin/backup/sqlite — owner (session or API token). Snapshot → stored file (with
// manifest), streamed to the client while it is copied.
//
// Why the Pages Router: an App Router route handler returns a web Response, and Next.js 16
// drops its Content-Length header when sending it (chunked instead). Without Content-Length the
// browser cannot show download progress, and scripted callers cannot tell a complete download
// from a cut one. A Pages API route writes to Node's response directly, so the header stays.
//
// Why the response starts before the snapshot ends: the checkpointed file copy (lib/backup/
// worker.ts) knows the copy's size before its first byte, and under its read transaction those
// bytes do not change, so each chunk can go to the client as soon as the copy has read it — sent
// from the very buffer it was read into, while it is also written to the stored file — and the
// snapshot and the transfer overlap instead of adding up. The copy never waits for the client:
// a client that falls behind gets the rest from the stored file, after the copy (and its read
// transaction) may be long done. Failure after the first byte can no longer
// change the status: the connection is cut, so the announced length makes the client report an
// incomplete transfer, and the stored file is not kept. When the backup API is the fallback
// (no size in advance), the snapshot is taken first and then sent.
import type { NextApiRequest, NextApiResponse } from "next";
import { httpFailureOf } from "@/app/api/_shared/errors";
import { GrowingFile, sendBackupFile, sendDownloadHeaders, sendFileBody } from "@/app/api/_shared/file-download";
import { guardPagesRequest, pagesRoute } from "@/app/api/_shared/pages-api";
import { methodNotAllowed } from "@/app/api/_shared/pages-method";
import { recordAuditSafely } from "@/lib/audit/record";
import { actorLabelOf, auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { createAuditedBackup } from "@/lib/system/audited-backup";
import { trackSnapshot } from "@/lib/backup/progress";
import { getConfig } from "@/lib/config";

// No body to parse; no 4 MB response cap (the database is streamed whatever its size).
export const config = { api: { bodyParser: false, responseLimit: false } };

export default pagesRoute(async (req: NextApiRequest, res: NextApiResponse) => {
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

  const context = await guardPagesRequest(req, res, BACKUP_PERMISSIONS.download, {
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

  // ?ticket= lets the page that submitted the form show the snapshot's progress meanwhile.
  const progress = trackSnapshot(typeof req.query.ticket === "string" ? req.query.ticket : null);
  let streaming: { file: GrowingFile; sent: Promise<void> } | null = null;
  let backup;
  try {
    backup = await createAuditedBackup({
      config: getConfig(),
      kind: "manual",
      actor: auditActorOf(actor),
      actorLabel: actorLabelOf(actor),
      origin,
      observer: {
        acquired: progress.acquired,
        started: ({ name, bytes, tempPath }) => {
          progress.started(name, bytes);
          const file = new GrowingFile(tempPath, bytes);
          sendDownloadHeaders(res, name, bytes);
          streaming = { file, sent: sendFileBody(res, file, name) };
        },
        copied: (position) => {
          progress.copied(position);
          streaming?.file.advance(position);
        },
        lent: (position, chunk, giveBack) => {
          if (streaming) streaming.file.lend(position, chunk, giveBack);
          else giveBack();
        },
      },
    });
  } catch (error) {
    const failure = httpFailureOf(error, "backup download");
    progress.failed(failure.message);
    const started = streaming as { file: GrowingFile; sent: Promise<void> } | null;
    if (!started) return fail(failure.status, failure.code, failure.message, failure.headers);
    // Too late for a status: the body is cut short (and the copy was not kept).
    started.file.fail(new Error(failure.message));
    await started.sent;
    return;
  }
  progress.done(backup.name);
  const started = streaming as { file: GrowingFile; sent: Promise<void> } | null;
  if (started) {
    started.file.complete();
    await started.sent;
  } else {
    await sendBackupFile(res, backup.path, backup.name, backup.bytes);
  }
});
