// The JSON body of POST /api/admin/alerts and PUT /api/admin/alerts/{id}; lib/alerts/channels.ts
// validates the fields themselves with messages that say what to fix.
import { z } from "zod";

export const channelBody = z.object({
  type: z.enum(["webhook", "email"]),
  name: z.string().max(200),
  enabled: z.boolean().default(true),
  events: z.array(z.string().max(100)).max(50),
  config: z.record(z.string(), z.unknown()),
  secret: z.string().max(2048).nullable().optional(),
  clearSecret: z.boolean().optional(),
});
export const CHANNEL_USAGE =
  'Send { type: "webhook" | "email", name, enabled, events: string[], config: { url, preset } | { host, port, security, username, from, to: string[] }, secret?: string }.';
