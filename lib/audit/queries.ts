import { listAuditEvents, type AuditReader } from "./log";

/** The newest events this actor may read (a viewer: only their own). */
export async function recentAuditEvents(actor: AuditReader, limit = 10) {
  return (await listAuditEvents(actor, {}, { limit })).events;
}
