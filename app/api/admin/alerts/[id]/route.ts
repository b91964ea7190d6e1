// PUT    /api/admin/alerts/{id} — change a channel (owner). An empty or absent secret keeps the
//                                 saved one; clearSecret: true removes it.
// DELETE /api/admin/alerts/{id} — remove it (owner).
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { deleteChannel, updateChannel } from "@/lib/alerts/channels";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { CHANNEL_USAGE, channelBody } from "../channel-body";

export const PUT = guardedRoute<{ id: string }>("owner", async (request, { actor, origin }, { id }) => {
  const input = await parseJsonBody(request, channelBody, CHANNEL_USAGE);
  const channel = await updateChannel(id, input);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "alert.channel.updated",
    result: "SUCCESS",
    targetType: "alert-channel",
    targetId: channel.id,
    origin,
    // What changed, never the secret itself.
    metadata: {
      name: channel.name,
      enabled: channel.enabled,
      events: channel.events,
      secretChanged: Boolean(input.secret) || Boolean(input.clearSecret),
    },
  });
  return Response.json(channel, { headers: { "Cache-Control": "no-store" } });
});

export const DELETE = guardedRoute<{ id: string }>("owner", async (_request, { actor, origin }, { id }) => {
  const channel = await deleteChannel(id);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "alert.channel.deleted",
    result: "SUCCESS",
    targetType: "alert-channel",
    targetId: channel.id,
    origin,
    metadata: { name: channel.name, type: channel.type },
  });
  return Response.json({ id: channel.id, deleted: true });
});
