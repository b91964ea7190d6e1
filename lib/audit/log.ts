// Reading the audit log: filters, keyset pages newest first, one event, and every filtered row in
// batches for the exports. Pages are found by (createdAt, id) below a cursor, never by OFFSET, and
// nothing counts the table, so page 1000 costs what page 1 costs.
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { AuditEvent, AuditResult, Prisma, User } from "../generated/prisma/client";
import { hasRole } from "../roles";

/**
 * Who reads the log: a signed-in Actor (lib/auth/actor.ts) fits. Named by shape, not imported,
 * because lib/auth records into the audit trail, so the audit folder sits below it.
 */
export type AuditReader = { user: Pick<User, "id" | "role"> };

export class AuditQueryError extends KnownError {
  override name = "AuditQueryError";
  constructor(message: string) {
    super("invalid", "invalid_input", message);
  }
}

export type AuditFilter = {
  actionPrefix?: string;
  /** A username, or the raw actor id (a token id, a system component). */
  actor?: string;
  result?: AuditResult;
  targetId?: string;
  from?: Date;
  to?: Date;
};

export type AuditCursor = { createdAt: Date; id: string };

const RESULTS = ["SUCCESS", "FAILURE", "DENIED"] as const;
export const AUDIT_FILTER_PARAMS = ["action", "actor", "result", "target", "from", "to"] as const;

function parseTime(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new AuditQueryError(`${name} must be a date or time such as 2026-11-27 or 2026-11-27T10:00:00Z.`);
  }
  return date;
}

/** The filter in a query string (the URL of a shared, filtered view). */
export function parseAuditFilter(params: URLSearchParams): AuditFilter {
  const text = (name: string) => {
    const values = params.getAll(name);
    if (values.length > 1) throw new AuditQueryError(`Give ${name} once.`);
    const value = values[0]?.trim();
    if (value && value.length > 200) throw new AuditQueryError(`${name} must be at most 200 characters.`);
    return value || undefined;
  };
  const result = text("result");
  if (result && !(RESULTS as readonly string[]).includes(result)) {
    throw new AuditQueryError(`result must be one of ${RESULTS.join(", ")}.`);
  }
  const from = text("from");
  const to = text("to");
  const filter: AuditFilter = {
    actionPrefix: text("action"),
    actor: text("actor"),
    result: result as AuditResult | undefined,
    targetId: text("target"),
    from: from ? parseTime("from", from) : undefined,
    to: to ? parseTime("to", to) : undefined,
  };
  if (filter.from && filter.to && filter.from >= filter.to) throw new AuditQueryError("from must be before to.");
  return filter;
}

export function encodeCursor(event: Pick<AuditEvent, "createdAt" | "id">): string {
  return Buffer.from(`${event.createdAt.getTime()}.${event.id}`).toString("base64url");
}

export function decodeCursor(value: string): AuditCursor {
  const [millis, id] = Buffer.from(value, "base64url")
    .toString("utf8")
    .split(/\.(.*)/s);
  const createdAt = new Date(Number(millis));
  if (!id || Number.isNaN(createdAt.getTime()))
    throw new AuditQueryError("The cursor is not valid; start from the first page.");
  return { createdAt, id };
}

// The last code point: every string that starts with `prefix` sorts below prefix + it.
const AFTER_EVERY_CHARACTER = String.fromCodePoint(0x10ffff);

/**
 * A prefix match on the characters as typed. Prisma's `startsWith` is SQLite's LIKE without an
 * ESCAPE clause, where `%` and `_` are wildcards (`%` matched every event). LIKE alone keeps the
 * plan that walks the (createdAt, id) index newest first: a range on `action` makes SQLite take
 * the action index instead and sort every matching row for each page (a million-row export never
 * ended). So a prefix holding `%` or `_` adds a range on the (binary) text, which only the
 * characters themselves satisfy, and any other prefix stays LIKE's (ASCII case folded).
 */
function startsWithLiterally(prefix: string): Prisma.StringFilter<"AuditEvent"> {
  if (!/[%_]/.test(prefix)) return { startsWith: prefix };
  return { startsWith: prefix, gte: prefix, lt: `${prefix}${AFTER_EVERY_CHARACTER}` };
}

/** Owners and operators read every event; a viewer reads only the events they made themselves. */
function assertReader(actor: AuditReader): void {
  if (!hasRole(actor.user.role, "viewer"))
    throw new KnownError("forbidden", "forbidden", "You cannot read the audit log.");
}

async function whereOf(
  actor: AuditReader,
  filter: AuditFilter,
  cursor?: AuditCursor,
): Promise<Prisma.AuditEventWhereInput> {
  assertReader(actor);
  const and: Prisma.AuditEventWhereInput[] = [];
  if (!hasRole(actor.user.role, "operator")) and.push({ actorType: "USER", actorId: actor.user.id });
  if (filter.actor) {
    const user = await getPrisma().user.findUnique({ where: { username: filter.actor }, select: { id: true } });
    and.push({ actorId: user?.id ?? filter.actor });
  }
  if (filter.actionPrefix) and.push({ action: startsWithLiterally(filter.actionPrefix) });
  if (filter.result) and.push({ result: filter.result });
  if (filter.targetId) and.push({ targetId: filter.targetId });
  if (filter.from) and.push({ createdAt: { gte: filter.from } });
  if (filter.to) and.push({ createdAt: { lt: filter.to } });
  if (cursor) {
    // The plain bound lets SQLite start its walk of the (createdAt, id) index at the cursor; the
    // OR alone is not a range it can seek to, and every page would rescan the newer rows.
    and.push({ createdAt: { lte: cursor.createdAt } });
    and.push({ OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] });
  }
  return { AND: and };
}

const NEWEST_FIRST: Prisma.AuditEventOrderByWithRelationInput[] = [{ createdAt: "desc" }, { id: "desc" }];

/**
 * An event with the names people know: the acting user's username, and the target's (a user's
 * username, a token's or alert channel's name) where the target is kept by id. Null when the
 * thing is gone or the target is already a name (a backup, a setting, a sign-in's username).
 */
export type AuditRow = AuditEvent & { actorName: string | null; targetName: string | null };

const idsOf = (events: AuditEvent[], keep: (event: AuditEvent) => string | null) => [
  ...new Set(events.map(keep).filter((id): id is string => Boolean(id))),
];

/** The names for `events` (one query per kind per page or batch). */
async function withActorNames(events: AuditEvent[]): Promise<AuditRow[]> {
  const prisma = getPrisma();
  const targetIds = (type: string) => idsOf(events, (e) => (e.targetType === type ? e.targetId : null));
  const userIds = [
    ...new Set([...idsOf(events, (e) => (e.actorType === "USER" ? e.actorId : null)), ...targetIds("user")]),
  ];
  const [users, tokens, channels] = await Promise.all([
    userIds.length
      ? prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, username: true } })
      : [],
    targetIds("token").length
      ? prisma.apiToken.findMany({ where: { id: { in: targetIds("token") } }, select: { id: true, name: true } })
      : [],
    targetIds("alert-channel").length
      ? prisma.alertChannel.findMany({
          where: { id: { in: targetIds("alert-channel") } },
          select: { id: true, name: true },
        })
      : [],
  ]);
  const names = new Map(users.map((user) => [user.id, user.username]));
  const targetNames: Record<string, Map<string, string>> = {
    user: names,
    token: new Map(tokens.map((token) => [token.id, token.name])),
    "alert-channel": new Map(channels.map((channel) => [channel.id, channel.name])),
  };
  return events.map((event) => ({
    ...event,
    actorName: event.actorId ? (names.get(event.actorId) ?? null) : null,
    targetName:
      event.targetType && event.targetId ? (targetNames[event.targetType]?.get(event.targetId) ?? null) : null,
  }));
}

export async function listAuditEvents(
  actor: AuditReader,
  filter: AuditFilter,
  page: { cursor?: string; limit?: number } = {},
): Promise<{ events: AuditRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
  const cursor = page.cursor ? decodeCursor(page.cursor) : undefined;
  // One row more than the page tells whether another page exists, without counting.
  const rows = await getPrisma().auditEvent.findMany({
    where: await whereOf(actor, filter, cursor),
    orderBy: NEWEST_FIRST,
    take: limit + 1,
  });
  const events = rows.slice(0, limit);
  return {
    events: await withActorNames(events),
    nextCursor: rows.length > limit ? encodeCursor(events[events.length - 1]!) : null,
  };
}

export async function getAuditEvent(actor: AuditReader, id: string): Promise<AuditRow | null> {
  const event = await getPrisma().auditEvent.findFirst({ where: { AND: [await whereOf(actor, {}), { id }] } });
  return event ? (await withActorNames([event]))[0]! : null;
}

/** Every filtered row, newest first, in batches: memory stays at one batch whatever the total. */
export async function* auditEventBatches(
  actor: AuditReader,
  filter: AuditFilter,
  batchSize = 1000,
): AsyncGenerator<AuditRow[]> {
  let cursor: AuditCursor | undefined;
  for (;;) {
    const rows = await getPrisma().auditEvent.findMany({
      where: await whereOf(actor, filter, cursor),
      orderBy: NEWEST_FIRST,
      take: batchSize,
    });
    if (rows.length === 0) return;
    yield await withActorNames(rows);
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    cursor = { createdAt: last.createdAt, id: last.id };
  }
}
