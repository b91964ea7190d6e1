// GET /api/admin/audit?action=&actor=&result=&target=&from=&to=&cursor=&limit= — one page of the
// audit log, newest first, and the cursor of the next (any role; a viewer sees only their own).
import { guardedRoute, knownFailureResponse } from "@/app/api/_shared/http";
import { listAuditEvents, parseAuditFilter } from "@/lib/audit/log";

export const GET = guardedRoute("viewer", async (request, { actor }) => {
  const params = new URL(request.url).searchParams;
  try {
    const limit = params.get("limit");
    const page = await listAuditEvents(actor, parseAuditFilter(params), {
      cursor: params.get("cursor") ?? undefined,
      limit: limit ? Number(limit) || undefined : undefined,
    });
    return Response.json(page, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
