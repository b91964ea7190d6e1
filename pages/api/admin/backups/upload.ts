// PUT /api/admin/backups/upload?name=<file>.db — owner. Streams the request body to disk (never
// buffered in memory; no size cap below the free space), hashing it on the way. Then, in order:
// the SQLite header (magic, and page size × page count against the length: a file that is not
// SQLite or was cut off is refused in milliseconds, 422 not_sqlite / truncated), then the same
// verification the server's start makes; only then is it stored under its name. A file that is
// not a backup this version can restore is refused at once instead of at restore time.
// A Pages API route so the raw request stream is available.
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { NextApiRequest, NextApiResponse } from "next";
import { guardPagesRequest, pagesRoute } from "@/app/api/_shared/pages-api";
import { methodNotAllowed } from "@/app/api/_shared/pages-method";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { commitTempFileAsNew, discardTempFile, ensureDir, backupNameProblem, tempPathFor } from "@/lib/backup/files";
import { writeManifest, type BackupManifest } from "@/lib/backup/manifest";
import { SQLITE_HEADER_BYTES, sqliteFileProblem } from "@/lib/backup/sqlite-header";
import { diskFreeBytes } from "@/lib/backup/space";
import { verifyDatabaseFile } from "@/lib/backup/verify";
import { getConfig } from "@/lib/config";
import { shippedMigrations } from "@/lib/system/diagnostics";

export const config = { api: { bodyParser: false, responseLimit: false } };

function refuse(res: NextApiResponse, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The first bytes of `file` (fewer when it is shorter). */
async function headOf(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(SQLITE_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SQLITE_HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Writes the request body to `file` (a new file) and returns its sha256. */
async function receive(req: NextApiRequest, file: string): Promise<string> {
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(req, hashing, createWriteStream(file, { flags: "wx" }));
  return hash.digest("hex");
}

export default pagesRoute(async (req: NextApiRequest, res: NextApiResponse) => {
  if (req.method !== "PUT") return methodNotAllowed(res, ["PUT"]);
  const context = await guardPagesRequest(req, res, BACKUP_PERMISSIONS.upload);
  if (!context) return;
  const name = String(req.query.name ?? "");
  const { backupDir } = getConfig();
  const nameProblem = backupNameProblem(name);
  if (nameProblem) return refuse(res, 400, "invalid_input", nameProblem);
  ensureDir(backupDir);
  const finalPath = path.join(backupDir, name);
  if (existsSync(finalPath)) return refuse(res, 409, "exists", `A backup named ${name} already exists.`);
  const declared = Number(req.headers["content-length"]);
  if (!Number.isFinite(declared) || declared <= 0)
    return refuse(res, 411, "length_required", "Send the file with its Content-Length.");
  if (diskFreeBytes(backupDir) < declared) {
    return refuse(
      res,
      507,
      "insufficient_storage",
      `Not enough free space in ${backupDir} for ${Math.ceil(declared / 1048576)} MB.`,
    );
  }

  const temp = tempPathFor(backupDir, name);
  let manifest: BackupManifest;
  try {
    let sha256: string;
    try {
      sha256 = await receive(req, temp);
      const { size } = await stat(temp);
      if (size !== declared) throw new Error(`received ${size} of ${declared} bytes`);
    } catch (error) {
      return refuse(res, 400, "upload_failed", `The upload did not complete: ${(error as Error).message}`);
    }
    const problem = sqliteFileProblem(await headOf(temp), declared);
    if (problem) {
      const code = problem.startsWith("Truncated") ? "truncated" : "not_sqlite";
      return refuse(res, 422, code, `${name} was not stored. ${problem}`);
    }
    const {
      lastMigration,
      pendingMigrations: _pending,
      sha256: _sha,
      ...verification
    } = await verifyDatabaseFile(temp, shippedMigrations(), null, { sha256 });
    if (!verification.restorable) {
      return refuse(res, 422, "not_restorable", `${name} was not stored: ${verification.detail}`);
    }
    manifest = {
      name,
      kind: "external",
      sha256,
      bytes: declared,
      createdAt: new Date().toISOString(),
      appVersion: "unknown",
      lastMigration,
      databaseBytes: null,
      durationMs: null,
      actor: { ...auditActorOf(context.actor), label: `uploaded by ${context.actor.user.username}` },
      verification,
    };
    await commitTempFileAsNew(temp, finalPath);
  } finally {
    discardTempFile(temp);
  }
  await writeManifest(backupDir, manifest);
  await recordAuditSafely({
    actor: auditActorOf(context.actor),
    action: "backup.uploaded",
    result: "SUCCESS",
    targetType: "backup",
    targetId: name,
    origin: context.origin,
    metadata: { bytes: declared, sha256: manifest.sha256 },
  });
  res.status(201).json(manifest);
});
