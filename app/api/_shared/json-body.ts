// Request bodies of the JSON API routes: size-limited, then validated. App Router's
// request.json() reads a body of any size into memory before parsing it (a 600 MB body grew the
// server by 500 MB and was never answered), so the declared length is checked before reading and
// the stream is cut off at the limit when no length is declared.
import type { z } from "zod";
import { KnownError } from "@/lib/errors";

/** Every JSON body this console accepts is a few fields: 64 KiB leaves ample room. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/** A body the route cannot act on; the error mapper answers it 400 or 413. */
export class RequestBodyError extends KnownError {
  override name = "RequestBodyError";
}

function tooLarge(limit: number): RequestBodyError {
  return new RequestBodyError("too_large", "payload_too_large", `The request body is larger than ${limit / 1024} KiB.`);
}

// A client still sending when its body is refused must be able to read the refusal: cancelling
// the body closes the connection under it, its next write fails (EPIPE) and it reports that
// instead of the 413. So past the limit the rest is read and dropped (memory stays flat), up to
// this much more; a client sending more than that is cut off.
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** Reads the body as text, refusing one declared (unread) or found (drained) to exceed `limit`. */
export async function readBodyText(request: Request, limit = JSON_BODY_LIMIT_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received <= limit) chunks.push(value);
    else if (received > limit + DRAIN_LIMIT_BYTES) {
      await reader.cancel();
      break;
    }
  }
  if (received > limit) throw tooLarge(limit);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The body parsed as JSON and checked against `schema`. Throws RequestBodyError: 413 past the
 * limit, 400 with `usage` (what to send) when it is not JSON or does not match.
 */
export async function parseJsonBody<T>(request: Request, schema: z.ZodType<T>, usage: string): Promise<T> {
  const text = await readBodyText(request);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RequestBodyError("invalid", "invalid_input", `The body is not JSON. ${usage}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestBodyError("invalid", "invalid_input", usage);
  return parsed.data;
}
