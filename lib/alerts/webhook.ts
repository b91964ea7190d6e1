// A webhook delivery: one JSON POST in the channel's preset, signed with HMAC-SHA256 when the
// channel has a signing key (X-Opstage-Signature: sha256=<hex of the exact body>).
import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { WebhookConfig, WebhookPreset } from "./channels";
import type { AlertEvent } from "./events";
import { assertTargetHostAllowed, checkedLookup, PrivateTargetError } from "./target-address";

/** Past this, an attempt counts as failed and is retried later. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = "X-Opstage-Signature";
/** How much of a receiver's error answer the console shows. */
const ANSWER_EXCERPT_CHARS = 80;

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

/** What a receiver answered, as the console may show it: one short line, nothing more of its body. */
export function answerExcerpt(text: string): string {
  const line = text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return line.length > ANSWER_EXCERPT_CHARS ? `${line.slice(0, ANSWER_EXCERPT_CHARS)}…` : line;
}

type Answer = { status: number; excerpt: string };

// node:http(s) rather than fetch: its `lookup` option connects to exactly the address that was
// checked (target-address.ts), and it follows no redirect to an address nobody checked.
/** One request to a checked address (POST with `body`, or GET without); the answer's status and excerpt. */
export function requestCheckedTarget(url: URL, headers: Record<string, string>, body: string | null): Promise<Answer> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: body === null ? "GET" : "POST",
        headers: body === null ? headers : { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
        lookup: checkedLookup,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          response.resume();
          return resolve({ status, excerpt: "" });
        }
        // Only the start of an error's body is read: a line of it is all that is shown.
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
          if (text.length > 4 * ANSWER_EXCERPT_CHARS) response.destroy();
        });
        response.on("close", () => resolve({ status, excerpt: answerExcerpt(text) }));
      },
    );
    request.on("error", reject);
    request.end(body ?? undefined);
  });
}

/** One attempt; resolves when the receiver answered 2xx, throws a one-line reason otherwise. */
export async function sendWebhook(
  config: WebhookConfig,
  secret: string | null,
  event: AlertEvent,
  instance: string | null,
): Promise<void> {
  const { url, body } = webhookRequest(config, event, instance);
  const target = new URL(url);
  assertTargetHostAllowed(target.hostname);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": "Opstage-CE-alerts",
    "X-Opstage-Event": event.type,
  };
  if (secret) headers[SIGNATURE_HEADER] = signatureOf(body, secret);
  let answer: Answer;
  try {
    answer = await requestCheckedTarget(target, headers, body);
  } catch (error) {
    if (error instanceof PrivateTargetError) throw error;
    const { name, code, message } = error as NodeJS.ErrnoException;
    if (name === "AbortError" || name === "TimeoutError") {
      throw new Error(`${target.host} did not answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`);
    }
    throw new Error(`could not reach ${target.host}: ${code ?? message}`);
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${target.host} answered HTTP ${answer.status}${answer.excerpt ? `: ${answer.excerpt}` : ""}`);
  }
}
