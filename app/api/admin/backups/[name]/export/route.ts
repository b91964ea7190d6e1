// GET /api/admin/backups/{name}/export?table=T&format=csv|ndjson — owner. One table of the
// backup, secret columns masked, streamed: the next page is read only once the client has taken
// the previous one, so memory stays flat however many rows there are. Audited once it is sent.
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { getConfig } from "@/lib/config";
import { EXPORT_FORMATS, exportTable, inspectableBackupPath, type ExportFormat } from "@/lib/inspect/inspect";
import { logger } from "@/lib/log";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { shippedMigrations } from "@/lib/system/diagnostics";

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson" };

export const GET = guardedRoute<{ name: string }>(
  BACKUP_PERMISSIONS.inspect,
  async (request, { actor, origin }, { name }) => {
    const params = new URL(request.url).searchParams;
    const table = params.get("table");
    const format = (params.get("format") ?? "csv") as ExportFormat;
    if (!table) return jsonError(400, "invalid_input", "Say which table: ?table=NAME.");
    if (!EXPORT_FORMATS.includes(format)) return jsonError(400, "invalid_input", "format must be csv or ndjson.");
    const file = inspectableBackupPath(getConfig().backupDir, name);
    const chunks = exportTable(file, table, format, shippedMigrations());
    // The first page is read before answering: an unknown table or a bad file gets its own status,
    // not a 200 with a cut-off body.
    const first = await chunks.next();
    const encoder = new TextEncoder();
    const audit = (result: "SUCCESS" | "FAILURE", message?: string) =>
      recordAuditSafely({
        actor: auditActorOf(actor),
        action: "backup.table.exported",
        result,
        targetType: "backup",
        targetId: name,
        message,
        origin,
        metadata: { table, format },
      });
    let pending = first.done ? null : first.value;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            if (pending !== null) {
              controller.enqueue(encoder.encode(pending));
              pending = null;
              return;
            }
            const { done, value } = await chunks.next();
            if (!done) {
              controller.enqueue(encoder.encode(value));
              return;
            }
            controller.close();
            await audit("SUCCESS");
          } catch (error) {
            logger().error({ err: error }, `export of ${table} from ${name} failed`);
            controller.error(error);
            await audit("FAILURE", "The export stopped before its end.");
          }
        },
        async cancel() {
          await chunks.return(undefined);
        },
      },
      { highWaterMark: 1 },
    );
    const base = name.replace(/\.db$/, "");
    return new Response(body, {
      headers: {
        "Content-Type": CONTENT_TYPES[format],
        "Content-Disposition": `attachment; filename="${base}-${table.replace(/[^A-Za-z0-9_.-]/g, "_")}.${format}"`,
        "Cache-Control": "no-store",
      },
    });
  },
);
