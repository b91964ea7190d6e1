// Alert channels: saved by an owner, read by the delivery queue. The secret (a webhook's signing
// key, an SMTP password) is write-only: publicChannel() is the only shape that leaves lib/alerts,
// and it says whether a secret is set, never what it is.
import { z } from "zod";
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { AlertChannel } from "../generated/prisma/client";
import { ALERT_EVENT_TYPES, type AlertEventType } from "./events";
import { assertTargetHostAllowed, PrivateTargetError } from "./target-address";

export const WEBHOOK_PRESETS = ["generic", "slack", "ntfy"] as const;
export type WebhookPreset = (typeof WEBHOOK_PRESETS)[number];
export const SMTP_SECURITY = ["none", "starttls", "tls"] as const;

export class AlertChannelError extends KnownError {
  override name = "AlertChannelError";
  constructor(message: string, kind: "invalid" | "not_found" = "invalid") {
    super(kind, kind === "invalid" ? "invalid_input" : "not_found", message);
  }
}

const webhookConfig = z.object({
  url: z.url({
    protocol: /^https?$/,
    error: "The webhook URL must be an http(s) URL such as https://hooks.slack.com/services/….",
  }),
  preset: z.enum(WEBHOOK_PRESETS, { error: "The payload preset must be generic, slack or ntfy." }),
});

const emailAddress = z.email({ error: "Each address must be an email address such as ops@example.com." });
const emailConfig = z.object({
  host: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "The SMTP host must be a host name or an IP address."),
  port: z
    .number({ error: "The SMTP port must be a number." })
    .int("The SMTP port must be a whole number.")
    .min(1, "The SMTP port must be between 1 and 65535.")
    .max(65535, "The SMTP port must be between 1 and 65535."),
  security: z.enum(SMTP_SECURITY, { error: "Security must be none, starttls or tls." }),
  username: z.string().trim().max(256, "The SMTP username must be at most 256 characters."),
  from: emailAddress,
  to: z.array(emailAddress).min(1, "Enter at least one recipient.").max(20, "At most 20 recipients."),
});

export type WebhookConfig = z.infer<typeof webhookConfig>;
export type EmailConfig = z.infer<typeof emailConfig>;

export type ChannelInput =
  | { type: "webhook"; name: string; enabled: boolean; events: AlertEventType[]; config: WebhookConfig }
  | { type: "email"; name: string; enabled: boolean; events: AlertEventType[]; config: EmailConfig };

/** What the delivery queue needs: the parsed settings and the secret. */
export type Channel = ChannelInput & { id: string; secret: string | null };

// Distributes over the union, so that `type` still tells the webhook's config from the email's.
type WithoutSecret<T> = T extends unknown ? Omit<T, "secret"> : never;
export type PublicChannel = WithoutSecret<Channel> & { secretSet: boolean; createdAt: string; updatedAt: string };

const nameRule = z
  .string()
  .trim()
  .min(1, "Give the channel a name.")
  .max(100, "The name must be at most 100 characters.");
const eventsRule = z
  .array(z.enum(ALERT_EVENT_TYPES, { error: `Events must be among ${ALERT_EVENT_TYPES.join(", ")}.` }))
  .min(1, "Choose at least one event.");

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? "Invalid channel.";
}

/** What an owner sends, before validation. */
export type RawChannelInput = { type: string; name: string; enabled: boolean; events: string[]; config: unknown };

/** Validates what an owner entered; throws AlertChannelError with one message saying what to fix. */
export function validateChannel(input: RawChannelInput): ChannelInput {
  const name = nameRule.safeParse(input.name);
  if (!name.success) throw new AlertChannelError(firstMessage(name.error));
  const events = eventsRule.safeParse([...new Set(input.events)]);
  if (!events.success) throw new AlertChannelError(firstMessage(events.error));
  const base = { name: name.data, enabled: input.enabled, events: events.data };
  if (input.type === "webhook") {
    const config = webhookConfig.safeParse(input.config);
    if (!config.success) throw new AlertChannelError(firstMessage(config.error));
    return { ...base, type: "webhook", config: config.data };
  }
  if (input.type === "email") {
    const config = emailConfig.safeParse(input.config);
    if (!config.success) throw new AlertChannelError(firstMessage(config.error));
    return { ...base, type: "email", config: config.data };
  }
  throw new AlertChannelError("The channel type must be webhook or email.");
}

/**
 * What an owner saves is refused at once when its host is an address inside the network (or
 * localhost); a name is checked again at each delivery, on the addresses it resolves to then.
 */
function validateNewChannel(input: RawChannelInput): ChannelInput {
  const channel = validateChannel(input);
  try {
    assertTargetHostAllowed(channel.type === "webhook" ? new URL(channel.config.url).hostname : channel.config.host);
  } catch (error) {
    if (error instanceof PrivateTargetError) throw new AlertChannelError(error.message);
    throw error;
  }
  return channel;
}

function toChannel(row: AlertChannel): Channel {
  const parsed = validateChannel({
    type: row.type,
    name: row.name,
    enabled: row.enabled,
    events: JSON.parse(row.eventsJson) as string[],
    config: JSON.parse(row.configJson) as unknown,
  });
  return { ...parsed, id: row.id, secret: row.secret };
}

export function publicChannel(row: AlertChannel): PublicChannel {
  const { secret, ...channel } = toChannel(row);
  return {
    ...channel,
    secretSet: Boolean(secret),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listChannels(): Promise<PublicChannel[]> {
  const rows = await getPrisma().alertChannel.findMany({ orderBy: { createdAt: "asc" } });
  return rows.map(publicChannel);
}

/** The enabled channels that receive `type`; a row that no longer validates is skipped. */
export async function channelsFor(type: string): Promise<Channel[]> {
  const rows = await getPrisma().alertChannel.findMany({ where: { enabled: true }, orderBy: { createdAt: "asc" } });
  const channels: Channel[] = [];
  for (const row of rows) {
    try {
      const channel = toChannel(row);
      if (type === "alert.test" || (channel.events as string[]).includes(type)) channels.push(channel);
    } catch {
      // saved by a newer version with other rules: not ours to deliver
    }
  }
  return channels;
}

export async function getChannel(id: string): Promise<Channel> {
  const row = await getPrisma().alertChannel.findUnique({ where: { id } });
  if (!row) throw new AlertChannelError("No such alert channel.", "not_found");
  return toChannel(row);
}

const secretRule = z.string().max(1024, "The secret must be at most 1024 characters.");

function secretOf(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const parsed = secretRule.safeParse(value);
  if (!parsed.success) throw new AlertChannelError(firstMessage(parsed.error));
  return parsed.data;
}

export async function createChannel(input: RawChannelInput & { secret?: string | null }): Promise<PublicChannel> {
  const channel = validateNewChannel(input);
  const row = await getPrisma().alertChannel.create({
    data: {
      name: channel.name,
      type: channel.type,
      enabled: channel.enabled,
      configJson: JSON.stringify(channel.config),
      eventsJson: JSON.stringify(channel.events),
      secret: secretOf(input.secret) ?? null,
    },
  });
  return publicChannel(row);
}

/**
 * Saves a channel's new settings. An absent or empty secret keeps the saved one; clearSecret
 * removes it.
 */
export async function updateChannel(
  id: string,
  input: RawChannelInput & { secret?: string | null; clearSecret?: boolean },
): Promise<PublicChannel> {
  const existing = await getPrisma().alertChannel.findUnique({ where: { id } });
  if (!existing) throw new AlertChannelError("No such alert channel.", "not_found");
  const channel = validateNewChannel(input);
  if (channel.type !== existing.type) throw new AlertChannelError("A channel's type cannot change; add a new one.");
  const secret = input.clearSecret ? null : (secretOf(input.secret) ?? existing.secret);
  const row = await getPrisma().alertChannel.update({
    where: { id },
    data: {
      name: channel.name,
      enabled: channel.enabled,
      configJson: JSON.stringify(channel.config),
      eventsJson: JSON.stringify(channel.events),
      secret,
    },
  });
  return publicChannel(row);
}

export async function deleteChannel(id: string): Promise<PublicChannel> {
  const existing = await getPrisma().alertChannel.findUnique({ where: { id } });
  if (!existing) throw new AlertChannelError("No such alert channel.", "not_found");
  await getPrisma().alertChannel.delete({ where: { id } });
  return publicChannel(existing);
}
