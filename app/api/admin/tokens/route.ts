// GET  /api/admin/tokens — list (owner, session only). POST — create (owner); the plaintext is in this answer only.
import { z } from "zod";
import { guardedRoute, jsonError } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { recordAuditSafely } from "@/lib/audit/record";
import { createApiToken, listApiTokens, tokenStatus } from "@/lib/auth/api-tokens";
import { auditActorOf } from "@/lib/auth/actor";

const body = z.object({
  name: z.string(),
  expiresInDays: z.number().int().min(1).max(3650).nullable().optional(),
});

export const GET = guardedRoute("owner", async (_request, { actor }) => {
  if (actor.token) return jsonError(403, "session_required", "API tokens cannot list API tokens; sign in.");
  const tokens = await listApiTokens();
  return Response.json(
    tokens.map((token) => ({
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      createdBy: token.createdBy.username,
      createdAt: token.createdAt,
      lastUsedAt: token.lastUsedAt,
      expiresAt: token.expiresAt,
      status: tokenStatus(token),
    })),
    { headers: { "Cache-Control": "no-store" } },
  );
});

export const POST = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, body, "Send { name: string, expiresInDays?: 1-3650 | null }.");
  if (actor.token) return jsonError(403, "forbidden", "API tokens cannot create API tokens; sign in.");
  const days = input.expiresInDays ?? null;
  const { token, record } = await createApiToken({
    name: input.name,
    createdById: actor.user.id,
    expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
  });
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "token.created",
    result: "SUCCESS",
    targetType: "token",
    targetId: record.id,
    origin,
    metadata: { name: record.name, expiresAt: record.expiresAt },
  });
  return Response.json(
    { id: record.id, name: record.name, token, expiresAt: record.expiresAt },
    { status: 201, headers: { "Cache-Control": "no-store" } },
  );
});
