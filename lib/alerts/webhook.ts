// A webhook delivery: one JSON POST in the channel's preset, signed with HMAC-SHA256 when the
// channel has a signing key (X-Opstage-Signature: sha256=<hex of the exact body>).
import { createHmac } from "node:crypto";
import type { WebhookConfig, WebhookPreset } from "./channels";
import type { AlertEvent } from "./events";

/** Past this, an attempt counts as failed and is retried later. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = "X-Opstage-Signature";

const NTFY_PRIORITY = { info: 3, warning: 4, error: 5 } as const;
const NTFY_TAG = { info: "white_check_mark", warning: "warning", error: "rotating_light" } as const;

export type WebhookRequest = { url: string; body: string };

/** Where to POST and what: the preset decides the shape. */
export function webhookRequest(config: WebhookConfig, event: AlertEvent, instance: string | null): WebhookRequest {
  const preset: WebhookPreset = config.preset;
  if (preset === "slack") {
    // Slack incoming webhooks (and Mattermost, Rocket.Chat, Discord's /slack endpoint) take { text }.
    const text = `*${event.title}*\n${event.message}${instance ? `\n${instance}` : ""}`;
    return { url: config.url, body: JSON.stringify({ text }) };
  }
  if (preset === "ntfy") {
    // ntfy's JSON publishing: POST to the server's root with the topic in the body. The channel's
    // URL is the topic's URL (https://ntfy.sh/my-topic), as ntfy's apps show it.
    const url = new URL(config.url);
    const segments = url.pathname.split("/").filter(Boolean);
    const topic = segments.pop() ?? "";
    url.pathname = `/${segments.join("/")}`;
    return {
      url: url.toString(),
      body: JSON.stringify({
        topic,
        title: event.title,
        message: event.message,
        priority: NTFY_PRIORITY[event.severity],
        tags: [NTFY_TAG[event.severity], event.type],
        ...(instance ? { click: instance } : {}),
      }),
    };
  }
  return {
    url: config.url,
    body: JSON.stringify({
      event: event.type,
      severity: event.severity,
      title: event.title,
      message: event.message,
      at: event.at,
      instance,
      details: event.details ?? {},
    }),
  };
}

export function signatureOf(body: string, key: string): string {
  return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

/** One attempt; resolves when the receiver answered 2xx, throws a one-line reason otherwise. */
export async function sendWebhook(
  config: WebhookConfig,
  secret: string | null,
  event: AlertEvent,
  instance: string | null,
): Promise<void> {
  const { url, body } = webhookRequest(config, event, instance);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "Opstage-CE-alerts",
    "X-Opstage-Event": event.type,
  };
  if (secret) headers[SIGNATURE_HEADER] = signatureOf(body, secret);
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if ((error as Error).name === "TimeoutError") {
      throw new Error(`${new URL(url).host} did not answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`);
    }
    throw new Error(
      `could not reach ${new URL(url).host}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => "")).slice(0, 200);
    throw new Error(`${new URL(url).host} answered HTTP ${response.status}${text ? `: ${text}` : ""}`);
  }
  await response.body?.cancel().catch(() => {});
}
