// GET /api/admin/audit/export?format=csv|ndjson&<the list's filters> — exactly the filtered rows,
// streamed: the next batch is read only when the client has taken the previous one, so memory
// stays flat however many rows there are.
import { logger } from "@/lib/log";
import { guardedRoute, jsonError, knownFailureResponse } from "@/app/api/_shared/http";
import { auditExportChunks } from "@/lib/audit/export";
import { parseAuditFilter } from "@/lib/audit/log";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";

const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson" } as const;

export const GET = guardedRoute("viewer", async (request, { actor, origin }) => {
  const params = new URL(request.url).searchParams;
  const format = params.get("format") ?? "csv";
  if (format !== "csv" && format !== "ndjson") return jsonError(400, "invalid_input", "format must be csv or ndjson.");
  let filter;
  try {
    filter = parseAuditFilter(params);
  } catch (error) {
    return knownFailureResponse(error);
  }
  const chunks = auditExportChunks(actor, filter, format);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await chunks.next();
          if (!done) {
            controller.enqueue(encoder.encode(value));
            return;
          }
          controller.close();
          // Recorded once the rows are read, so the export never contains its own event.
          await recordAuditSafely({
            actor: auditActorOf(actor),
            action: "audit.exported",
            result: "SUCCESS",
            origin,
            metadata: { format, filter: Object.fromEntries([...params].filter(([key]) => key !== "format")) },
          });
        } catch (error) {
          logger().error({ err: error }, "audit export failed");
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
  const stamp = new Date().toISOString().replace(/[:]/g, "").slice(0, 15);
  return new Response(body, {
    headers: {
      "Content-Type": CONTENT_TYPES[format],
      "Content-Disposition": `attachment; filename="opstage-audit-${stamp}.${format}"`,
      "Cache-Control": "no-store",
    },
  });
});
