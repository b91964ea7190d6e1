// The audit log as CSV or NDJSON, produced line by line from auditEventBatches.
import { csvField } from "../csv";
import { auditEventBatches, type AuditFilter, type AuditReader, type AuditRow } from "./log";

export type AuditExportFormat = "csv" | "ndjson";

const COLUMNS = [
  "id",
  "createdAt",
  "actorType",
  "actorId",
  "actorName",
  "action",
  "result",
  "targetType",
  "targetId",
  "message",
  "ipAddress",
  "userAgent",
  "metadata",
] as const;

function plain(event: AuditRow) {
  return {
    id: event.id,
    createdAt: event.createdAt.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    result: event.result,
    targetType: event.targetType,
    targetId: event.targetId,
    message: event.message,
    ipAddress: event.ipAddress,
    userAgent: event.userAgent,
    metadata: event.metadataJson ? (JSON.parse(event.metadataJson) as unknown) : null,
  };
}

export async function* auditExportChunks(
  actor: AuditReader,
  filter: AuditFilter,
  format: AuditExportFormat,
): AsyncGenerator<string> {
  if (format === "csv") yield `${COLUMNS.join(",")}\r\n`;
  for await (const batch of auditEventBatches(actor, filter)) {
    let chunk = "";
    for (const event of batch) {
      const row = plain(event);
      chunk +=
        format === "csv"
          ? `${COLUMNS.map((column) => csvField(row[column])).join(",")}\r\n`
          : `${JSON.stringify(row)}\n`;
    }
    yield chunk;
  }
}
