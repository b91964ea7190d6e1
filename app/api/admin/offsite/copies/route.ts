// GET /api/admin/offsite/copies — owner. The copies in the bucket, newest first, from their
// manifests.
import { httpFailureOf } from "@/app/api/_shared/errors";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { getConfig } from "@/lib/config";
import { listRemoteCopies } from "@/lib/offsite/remote";
import { withOffsiteTarget } from "@/lib/offsite/session";

export const GET = guardedRoute("owner", async () => {
  try {
    const copies = await withOffsiteTarget(getConfig(), (client, target) => listRemoteCopies(client, target));
    return Response.json({ copies }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    const failure = httpFailureOf(error, "offsite");
    return jsonError(failure.status, failure.code, failure.message);
  }
});
