import type { Actor } from "../auth/actor";
import { listAuditEvents } from "./log";

/** The newest events this actor may read (a viewer: only their own). */
export async function recentAuditEvents(actor: Actor, limit = 10) {
  return (await listAuditEvents(actor, {}, { limit })).events;
}
