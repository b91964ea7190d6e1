// GET /api/health: 200 when healthy, 503 otherwise (lib/system/health-report.ts says when).
// A Pages Router route because orchestrators poll it every few seconds, also while a backup
// downloads on the same thread: an App Router route handler turns each request and its answer
// into web streams, about twice the CPU per call here (~7 ms against ~3.5 ms of Next's own).
import { randomUUID } from "node:crypto";
import type { NextApiRequest, NextApiResponse } from "next";
import { methodNotAllowed } from "@/app/api/_shared/pages-method";
import { publishedHealthReport } from "@/lib/system/published-health";
import { APP_VERSION } from "@/lib/version";

export default async function handler(req: NextApiRequest, res: NextApiResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(res, ["GET", "HEAD"]);
  const requestId = randomUUID().slice(0, 8);
  const report = (await publishedHealthReport(requestId)) ?? {
    status: "unavailable",
    version: APP_VERSION,
    reason: "the server is starting",
  };
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("X-Request-Id", requestId);
  if (report.status === "restoring") res.setHeader("Retry-After", "15");
  res.status(report.status === "ok" ? 200 : 503).json(report);
}
