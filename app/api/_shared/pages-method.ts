// The 405 of a Pages Router API route. Its own module: /api/health answers it too, and importing
// pages-api.ts would load the session guard (next-auth, the rate limiter) at every start.
import type { NextApiResponse } from "next";

export function methodNotAllowed(res: NextApiResponse, allowed: string[]): void {
  res.setHeader("Allow", allowed.join(", "));
  res.status(405).json({ error: { code: "method_not_allowed", message: `Use ${allowed.join(" or ")}.` } });
}
