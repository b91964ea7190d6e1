// The HTTP side every compare endpoint shares (a stored backup's, a checked moment's): the job
// answered on start, and GET ?id= (its progress, then its result) and DELETE ?id= (cancel it).
import type { Role } from "@/lib/roles";
import { cancelComparison, comparisonJob } from "@/lib/inspect/comparison-job";
import type { ComparisonJob } from "@/lib/inspect/types";
import { guardedRoute, jsonError } from "./http";

/** A started (or joined) comparison: 202, to be polled with GET ?id=. */
export function comparisonStarted(job: ComparisonJob): Response {
  return Response.json(job, { status: 202, headers: { "Cache-Control": "no-store" } });
}

function jobId(request: Request): string | null {
  return new URL(request.url).searchParams.get("id");
}

/** GET ?id=JOB and DELETE ?id=JOB of a compare endpoint, for `minimum` and up. */
export function comparisonJobRoutes<P>(minimum: Role) {
  return {
    GET: guardedRoute<P>(minimum, async (request) => {
      const id = jobId(request);
      if (!id) return jsonError(400, "invalid_input", "Say which comparison: ?id=JOB (POST answers it).");
      return Response.json(comparisonJob(id), { headers: { "Cache-Control": "no-store" } });
    }),
    DELETE: guardedRoute<P>(minimum, async (request) => {
      const id = jobId(request);
      if (!id) return jsonError(400, "invalid_input", "Say which comparison: ?id=JOB.");
      return Response.json(await cancelComparison(id));
    }),
  };
}
