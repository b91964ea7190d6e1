// GET  /api/admin/alerts — the alert channels (owner). Never includes a secret.
// POST /api/admin/alerts — add one (owner).
import { guardedRoute } from "@/app/api/_shared/http";
import { parseJsonBody } from "@/app/api/_shared/json-body";
import { ALERT_EVENT_TYPES, EVENT_LABELS } from "@/lib/alerts/events";
import { createChannel, listChannels } from "@/lib/alerts/channels";
import { recordAuditSafely } from "@/lib/audit/record";
import { auditActorOf } from "@/lib/auth/actor";
import { CHANNEL_USAGE, channelBody } from "./channel-body";

const noStore = { "Cache-Control": "no-store" };

export const GET = guardedRoute("owner", async () =>
  Response.json(
    {
      channels: await listChannels(),
      events: ALERT_EVENT_TYPES.map((type) => ({ type, label: EVENT_LABELS[type] })),
    },
    { headers: noStore },
  ),
);

export const POST = guardedRoute("owner", async (request, { actor, origin }) => {
  const input = await parseJsonBody(request, channelBody, CHANNEL_USAGE);
  const channel = await createChannel(input);
  await recordAuditSafely({
    actor: auditActorOf(actor),
    action: "alert.channel.created",
    result: "SUCCESS",
    targetType: "alert-channel",
    targetId: channel.id,
    origin,
    metadata: { name: channel.name, type: channel.type, events: channel.events, secretSet: channel.secretSet },
  });
  return Response.json(channel, { status: 201, headers: noStore });
});
