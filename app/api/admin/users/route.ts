// GET  /api/admin/users?search=&role=&status= — list (owner, session only).
// POST /api/admin/users — create; a generated password is in this answer only.
import { z } from "zod";
import { guardedRoute, jsonError, knownFailureResponse } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { isRole, ROLES } from "@/lib/roles";
import { createUserAsOwner, listUsers } from "@/lib/auth/user-admin";

const NO_STORE = { "Cache-Control": "no-store" };
const STATUSES = ["ACTIVE", "DISABLED"] as const;

const createBody = z.object({
  username: z.string(),
  displayName: z.string().optional(),
  role: z.enum(ROLES),
  password: z.string().nullable().optional(),
});

export const GET = guardedRoute("owner", async (request, { actor }) => {
  const refused = refuseTokens(actor);
  if (refused) return refused;
  const params = new URL(request.url).searchParams;
  const role = params.get("role") || undefined;
  const status = params.get("status") || undefined;
  if (role && !isRole(role)) return jsonError(400, "invalid_input", `role must be one of ${ROLES.join(", ")}.`);
  if (status && !(STATUSES as readonly string[]).includes(status)) {
    return jsonError(400, "invalid_input", `status must be ACTIVE or DISABLED.`);
  }
  const users = await listUsers(actor, {
    search: params.get("search") ?? undefined,
    role: role as (typeof ROLES)[number] | undefined,
    status: status as (typeof STATUSES)[number] | undefined,
  });
  return Response.json(users, { headers: NO_STORE });
});

export const POST = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(
    request,
    createBody,
    `Send { username: string, displayName?: string, role: ${ROLES.join(" | ")}, password?: string | null } (no password: one is generated).`,
  );
  const refused = refuseTokens(actor);
  if (refused) return refused;
  try {
    const { user, generatedPassword } = await createUserAsOwner(actor, input);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.created",
      result: "SUCCESS",
      targetType: "user",
      targetId: user.id,
      origin,
      metadata: { username: user.username, role: user.role, generatedPassword: generatedPassword !== null },
    });
    return Response.json({ user, generatedPassword }, { status: 201, headers: NO_STORE });
  } catch (error) {
    return knownFailureResponse(error);
  }
});
