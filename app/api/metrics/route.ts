// GET /api/metrics — Prometheus text format. Credentials: `Authorization: Bearer <token>` with
// OPSTAGE_METRICS_TOKEN (reads this endpoint only), or an owner's API token, or an owner's session.
import { createHash, timingSafeEqual } from "node:crypto";
import { httpFailureOf } from "@/app/api/_shared/errors";
import { failureResponse, guardedRoute } from "@/app/api/_shared/http";
import { getConfig } from "@/lib/config";
import { withSharedLease } from "@/lib/db/lease";
import { renderMetrics } from "@/lib/system/metrics";

export const dynamic = "force-dynamic";

async function scrape(): Promise<Response> {
  const { body, contentType } = await renderMetrics(getConfig());
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}

// Compared as hashes: equal lengths for timingSafeEqual, and no early exit on the first difference.
function isMetricsToken(presented: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

const asOwner = guardedRoute("owner", () => scrape());

export async function GET(request: Request, context: { params: Promise<Record<string, never>> }) {
  const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer && isMetricsToken(bearer, getConfig().monitoring.metricsToken)) {
    try {
      return await withSharedLease(scrape);
    } catch (error) {
      return failureResponse(httpFailureOf(error, "GET /api/metrics"));
    }
  }
  return asOwner(request, context);
}
