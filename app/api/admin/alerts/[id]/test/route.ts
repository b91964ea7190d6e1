// POST /api/admin/alerts/{id}/test — owner. Sends one test alert through the channel now, without
// retries, and answers { ok, message } saying what the receiver did.
import { guardedRoute } from "@/app/api/_shared/http";
import { getChannel } from "@/lib/alerts/channels";
import { alertEvent } from "@/lib/alerts/events";
import { deliverOnce } from "@/lib/alerts/notify";
import { recordAuditSafely } from "@/lib/audit/record";
import { actorLabelOf, auditActorOf } from "@/lib/auth/actor";

export const POST = guardedRoute<{ id: string }>("owner", async (_request, { actor, origin }, { id }) => {
  const channel = await getChannel(id);
  const event = alertEvent(
    "alert.test",
    "Test alert from Opstage",
    `${actorLabelOf(actor)} sent this test from Settings → Alerts. If you read this, the channel "${channel.name}" works.`,
  );
  let result: { ok: boolean; message: string };
  try {
    await deliverOnce(channel, event);
    result = { ok: true, message: `Delivered through ${channel.name}.` };
  } catch (error) {
    result = { ok: false, message: (error as Error).message };
  }
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "alert.tested",
    result: result.ok ? "SUCCESS" : "FAILURE",
    targetType: "alert-channel",
    targetId: channel.id,
    origin,
    message: result.ok ? undefined : result.message,
    metadata: { channel: channel.name, type: channel.type },
  });
  return Response.json(result);
});
