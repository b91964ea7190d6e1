// The guard and the file download for the Pages Router API routes (used where a response must
// keep its Content-Length, which App Router responses lose in Next.js 16).
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { NextApiRequest, NextApiResponse } from "next";
import type { Role } from "@/lib/generated/prisma/client";
import { guardRequest, type GuardedContext, type GuardOptions } from "./http";

const READ_CHUNK_BYTES = 1024 * 1024;

/** guardRequest() for a Pages API route; answers the refusal itself and returns null then. */
export async function guardPagesRequest(
  req: NextApiRequest,
  res: NextApiResponse,
  minimum: Role,
  options: GuardOptions & { onRefused?: (status: number, code: string, message: string) => void } = {},
): Promise<GuardedContext | null> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  };
  const outcome = await guardRequest(req.method ?? "GET", header, minimum, options, { req, res });
  if (outcome.ok) return outcome.context;
  if (outcome.retryAfterSeconds) res.setHeader("Retry-After", String(outcome.retryAfterSeconds));
  if (options.onRefused) options.onRefused(outcome.status, outcome.body.error.code, outcome.body.error.message);
  else res.status(outcome.status).json(outcome.body);
  return null;
}

/**
 * Streams a stored backup with its size announced. pipeline() moves one chunk at a time and
 * waits for the socket to drain (constant memory); when the client disconnects it destroys the
 * file stream. The stored file itself is never touched.
 */
export async function sendBackupFile(res: NextApiResponse, file: string, name: string, bytes: number): Promise<void> {
  res.writeHead(200, {
    "Content-Type": "application/vnd.sqlite3",
    "Content-Length": String(bytes),
    "Content-Disposition": `attachment; filename="${name}"`,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  try {
    await pipeline(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), res);
  } catch (error) {
    console.warn(`[opstage] download of ${name} ended early: ${(error as Error).message}`);
  }
}

export function methodNotAllowed(res: NextApiResponse, allowed: string[]): void {
  res.setHeader("Allow", allowed.join(", "));
  res.status(405).json({ error: { code: "method_not_allowed", message: `Use ${allowed.join(" or ")}.` } });
}
