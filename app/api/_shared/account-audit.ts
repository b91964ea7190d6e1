// The account routes' audit rows: the signed-in person acting on their own account is both the
// actor and the target.
import { recordAuditSafely, type AuditEntry, type RequestOrigin } from "@/lib/audit/record";
import { auditActorOf, type Actor } from "@/lib/auth/actor";

export function auditOwnAccount(
  actor: Actor,
  origin: RequestOrigin,
  action: string,
  entry: Pick<AuditEntry, "result" | "message" | "metadata">,
): Promise<void> {
  return recordAuditSafely({
    actor: auditActorOf(actor),
    action,
    targetType: "user",
    targetId: actor.user.id,
    origin,
    ...entry,
  });
}
