// PUT /api/admin/backups/upload?name=<file>.db — owner. Streams the request body to disk as a
// stored backup (never buffered in memory; no size cap below the free space), to be verified and
// restored from the console. A Pages API route so the raw request stream is available.
import { createWriteStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { NextApiRequest, NextApiResponse } from "next";
import { guardPagesRequest, methodNotAllowed } from "@/app/api/_shared/pages-api";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/require-role";
import { commitTempFile, discardTempFile, ensureDir, isSafeBackupName, tempPathFor } from "@/lib/backup/files";
import { writeManifest } from "@/lib/backup/manifest";
import { diskFreeBytes } from "@/lib/backup/space";
import { getConfig } from "@/lib/config";

export const config = { api: { bodyParser: false, responseLimit: false } };

function refuse(res: NextApiResponse, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export default async function handler(req: NextApiRequest, res: NextApiResponse): Promise<void> {
  if (req.method !== "PUT") return methodNotAllowed(res, ["PUT"]);
  const context = await guardPagesRequest(req, res, "owner");
  if (!context) return;
  const name = String(req.query.name ?? "");
  const { backupDir } = getConfig();
  if (!isSafeBackupName(name)) return refuse(res, 400, "invalid_input", "The name must be a file name ending in .db.");
  ensureDir(backupDir);
  const finalPath = path.join(backupDir, name);
  if (existsSync(finalPath)) return refuse(res, 409, "exists", `A backup named ${name} already exists.`);
  const declared = Number(req.headers["content-length"]);
  if (!Number.isFinite(declared) || declared <= 0) return refuse(res, 411, "length_required", "Send the file with its Content-Length.");
  if (diskFreeBytes(backupDir) < declared) {
    return refuse(res, 507, "insufficient_storage", `Not enough free space in ${backupDir} for ${Math.ceil(declared / 1048576)} MB.`);
  }

  const temp = tempPathFor(backupDir, name);
  try {
    await pipeline(req, createWriteStream(temp, { flags: "wx" }));
    const { size } = await stat(temp);
    if (size !== declared) throw new Error(`received ${size} of ${declared} bytes`);
    await commitTempFile(temp, finalPath);
  } catch (error) {
    discardTempFile(temp);
    return refuse(res, 400, "upload_failed", `The upload did not complete: ${(error as Error).message}`);
  }
  const manifest = {
    name,
    kind: "external" as const,
    sha256: null,
    bytes: declared,
    createdAt: new Date().toISOString(),
    appVersion: "unknown",
    lastMigration: null,
    databaseBytes: null,
    durationMs: null,
    actor: { ...auditActorOf(context.actor), label: `uploaded by ${context.actor.user.username}` },
  };
  await writeManifest(backupDir, manifest);
  await recordAuditSafely({
    actor: auditActorOf(context.actor),
    action: "backup.uploaded",
    result: "SUCCESS",
    targetType: "backup",
    targetId: name,
    origin: context.origin,
    metadata: { bytes: declared },
  });
  res.status(201).json(manifest);
}
