import { getPrisma } from "../db/prisma";

export function recentAuditEvents(limit = 10) {
  return getPrisma().auditEvent.findMany({ orderBy: { createdAt: "desc" }, take: limit });
}
