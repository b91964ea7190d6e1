// PATCH  /api/admin/users/{id} — { role } or { status } (owner, session only).
// DELETE /api/admin/users/{id} — only a user without audit history; otherwise 409 (disable them).
import { z } from "zod";
import { guardedRoute, knownFailureResponse, type GuardedContext } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { refuseTokens } from "@/app/api/_shared/user-errors";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { ROLES } from "@/lib/roles";
import { changeUserRole, deleteUser, setUserStatus } from "@/lib/auth/user-admin";

const patchBody = z.union([
  z.object({ role: z.enum(ROLES) }).strict(),
  z.object({ status: z.enum(["ACTIVE", "DISABLED"]) }).strict(),
]);

/** Records a refused change too: an attempt to remove the last owner is worth knowing about. */
async function refused(error: unknown, action: string, id: string, { actor, origin }: GuardedContext) {
  if (error instanceof Error && error.name === "UserAdminError" && (error as { status?: number }).status === 409) {
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action,
      result: "FAILURE",
      targetType: "user",
      targetId: id,
      message: error.message,
      origin,
    });
  }
  return knownFailureResponse(error);
}

export const PATCH = guardedRoute<{ id: string }>("owner", async (request, context, { id }) => {
  const input = await parseJsonBody(
    request,
    patchBody,
    `Send { role: ${ROLES.join(" | ")} } or { status: "ACTIVE" | "DISABLED" }.`,
  );
  const { actor, origin } = context;
  const tokenRefusal = refuseTokens(actor);
  if (tokenRefusal) return tokenRefusal;
  if ("role" in input) {
    try {
      const { user, from, to } = await changeUserRole(actor, id, input.role);
      if (from !== to) {
        await recordAuditSafely({
          actor: auditActorOf(actor),
          action: "user.role.changed",
          result: "SUCCESS",
          targetType: "user",
          targetId: user.id,
          origin,
          metadata: { username: user.username, from, to },
        });
      }
      return Response.json(user);
    } catch (error) {
      return refused(error, "user.role.changed", id, context);
    }
  }
  const action = input.status === "ACTIVE" ? "user.enabled" : "user.disabled";
  try {
    const { user, changed } = await setUserStatus(actor, id, input.status);
    if (changed) {
      await recordAuditSafely({
        actor: auditActorOf(actor),
        action,
        result: "SUCCESS",
        targetType: "user",
        targetId: user.id,
        origin,
        metadata: { username: user.username },
      });
    }
    return Response.json(user);
  } catch (error) {
    return refused(error, action, id, context);
  }
});

export const DELETE = guardedRoute<{ id: string }>("owner", async (_request, context, { id }) => {
  const { actor, origin } = context;
  const tokenRefusal = refuseTokens(actor);
  if (tokenRefusal) return tokenRefusal;
  try {
    const user = await deleteUser(actor, id);
    await recordAuditSafely({
      actor: auditActorOf(actor),
      action: "user.deleted",
      result: "SUCCESS",
      targetType: "user",
      targetId: user.id,
      origin,
      metadata: { username: user.username, role: user.role },
    });
    return Response.json({ id: user.id, deleted: true });
  } catch (error) {
    return refused(error, "user.deleted", id, context);
  }
});
