// POST /api/admin/replication/restore/check — owner. Body: { at: ISO time with zone | "latest",
// identity?: "AGE-SECRET-KEY-1…" }: restores the replica as it was at that moment into a temp file
// beside the live database and verifies it as a stored backup's restore does; nothing is replaced.
// Answers { checkId, moment, verification, expiresAt, … }; POST /api/admin/replication/restore
// { checkId } then installs that very file. The identity is used for this request only: never
// stored, logged or audited.
import { z } from "zod";
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { BACKUP_PERMISSIONS } from "@/lib/roles";
import { getConfig } from "@/lib/config";
import { checkMoment } from "@/lib/replication/moment-check";
import { shippedMigrations } from "@/lib/system/diagnostics";

const body = z.object({
  at: z.string().min(1).max(64),
  identity: z.string().max(4096).nullable().optional(),
});

export const POST = guardedRoute(
  BACKUP_PERMISSIONS.restore,
  async (request) => {
    const input = await parseJsonBody(
      request,
      body,
      'Send { at: "2026-11-27T06:30:00Z" (ISO 8601 with zone) or "latest", identity?: "AGE-SECRET-KEY-1…" }.',
    );
    const check = await checkMoment({
      config: getConfig(),
      at: input.at,
      identityText: input.identity,
      shipped: shippedMigrations(),
    });
    return Response.json(check, { headers: { "Cache-Control": "no-store" } });
  },
  // Reads the replica and a temp file, never the live database's pages.
  { leaseDatabase: false },
);
