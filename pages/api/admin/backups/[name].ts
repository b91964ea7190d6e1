// GET    /api/admin/backups/{name} — download a stored backup (owner), with Content-Length.
// DELETE /api/admin/backups/{name} — delete it and its manifest (owner).
// A Pages API route for the same reason as ../backup/sqlite.ts: the download keeps its size.
import type { NextApiRequest, NextApiResponse } from "next";
import { statSync } from "node:fs";
import { sendBackupFile } from "@/app/api/_shared/file-download";
import { guardPagesRequest, pagesRoute } from "@/app/api/_shared/pages-api";
import { methodNotAllowed } from "@/app/api/_shared/pages-method";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { deleteBackup } from "@/lib/backup/catalog";
import { backupPath } from "@/lib/backup/files";
import { getConfig } from "@/lib/config";

export const config = { api: { bodyParser: false, responseLimit: false } };

export default pagesRoute(async (req: NextApiRequest, res: NextApiResponse) => {
  if (req.method !== "GET" && req.method !== "DELETE") return methodNotAllowed(res, ["GET", "DELETE"]);
  const context = await guardPagesRequest(req, res, "owner");
  if (!context) return;
  const name = String(req.query.name ?? "");
  const { backupDir } = getConfig();
  if (req.method === "GET") {
    const file = backupPath(backupDir, name);
    await sendBackupFile(res, file, name, statSync(file).size);
    return;
  }
  deleteBackup(backupDir, name);
  await recordAuditSafely({
    actor: auditActorOf(context.actor),
    action: "backup.deleted",
    result: "SUCCESS",
    targetType: "backup",
    targetId: name,
    origin: context.origin,
  });
  res.status(200).json({ deleted: name });
});
