// The guard and the error mapping for the Pages Router API routes (used where a response must
// keep its Content-Length, which App Router responses lose in Next.js 16, or read the raw body).
import type { NextApiRequest, NextApiResponse } from "next";
import type { Role } from "@/lib/generated/prisma/client";
import { httpFailureOf, type HttpFailure } from "./errors";
import { guardRequest, type GuardedContext, type GuardOptions } from "./http";

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
  if (options.onRefused) options.onRefused(outcome.status, outcome.body.error.code, outcome.body.error.message);
  else res.status(outcome.status).json(outcome.body);
  return null;
}

export function sendFailure(res: NextApiResponse, failure: HttpFailure): void {
  for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
  res.status(failure.status).json({ error: { code: failure.code, message: failure.message } });
}

/**
 * guardedRoute's twin for a Pages API route: the handler throws, and the answer is the error's
 * status and code (errors.ts) — or, once the response has started, the connection is cut so the
 * client sees an incomplete transfer rather than a complete-looking one.
 */
export function pagesRoute(handler: (req: NextApiRequest, res: NextApiResponse) => Promise<void>) {
  return async (req: NextApiRequest, res: NextApiResponse): Promise<void> => {
    try {
      await handler(req, res);
    } catch (error) {
      const failure = httpFailureOf(error, `${req.method} ${req.url?.split("?")[0]}`);
      if (res.headersSent) res.destroy();
      else sendFailure(res, failure);
    }
  };
}
