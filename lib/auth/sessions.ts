// Server-side sessions: one Session row per signed-in browser. The session cookie (a next-auth
// JWT, see options.ts) carries only the row's id, and every guarded request reads the row
// (require-role.ts), so deleting it ends the session at the very next request. next-auth
// re-signs any valid cookie with a fresh expiry at /api/auth/session; the absolute expiry is the
// row's, so no refresh keeps a session past it.
import { createHash, randomBytes } from "node:crypto";
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { Session, User } from "../generated/prisma/client";
import { describeUserAgent } from "./user-agent";

/** How stale lastSeenAt may get before a request writes it again: each write hits the one file. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

export type SessionOrigin = { ipAddress: string | null; userAgent: string | null };

export type SessionUser = Pick<User, "id" | "username" | "displayName" | "role" | "status"> & {
  /** Whether the user has a second factor turned on (OPSTAGE_REQUIRE_2FA may demand one). */
  twoFactorEnabled: boolean;
};

function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

/** Opens a session for a user who just proved who they are; expired rows are dropped on the way. */
export async function createSession(userId: string, ttlSeconds: number, origin: SessionOrigin): Promise<Session> {
  const prisma = getPrisma();
  const now = new Date();
  await prisma.session.deleteMany({ where: { expiresAt: { lte: now } } });
  return prisma.session.create({
    data: {
      id: newSessionId(),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      ipAddress: origin.ipAddress,
      userAgent: origin.userAgent?.slice(0, 512) ?? null,
    },
  });
}

/**
 * The user of a live session (row present, not expired, user active), or null. Refreshes the
 * row's lastSeenAt when it is more than LAST_SEEN_RESOLUTION_MS old.
 */
export async function userOfLiveSession(sessionId: string, now = new Date()): Promise<SessionUser | null> {
  const prisma = getPrisma();
  const session = await prisma.session.findUnique({
    where: { id: sessionId },
    include: {
      user: {
        select: {
          id: true,
          username: true,
          displayName: true,
          role: true,
          status: true,
          twoFactor: { select: { enabledAt: true } },
        },
      },
    },
  });
  if (!session || session.expiresAt <= now) return null;
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await prisma.session.updateMany({ where: { id: sessionId }, data: { lastSeenAt: now } });
  }
  const { twoFactor, ...user } = session.user;
  return { ...user, twoFactorEnabled: Boolean(twoFactor?.enabledAt) };
}

/** Ends one session (signing out); ending one already gone is not an error. */
export async function endSession(sessionId: string): Promise<boolean> {
  const { count } = await getPrisma().session.deleteMany({ where: { id: sessionId } });
  return count > 0;
}

/** Ends every session of the user (password change or reset, disable, "sign out everywhere"). */
export async function endAllSessions(userId: string): Promise<number> {
  const { count } = await getPrisma().session.deleteMany({ where: { userId } });
  return count;
}

/**
 * What a session is called in lists and in the routes that end one: a digest of its id, so the
 * page's script never holds the id itself.
 */
export function sessionHandle(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("base64url").slice(0, 22);
}

export type SessionSummary = {
  handle: string;
  browser: string;
  os: string;
  ipAddress: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** The session the list was asked for with. */
  current: boolean;
};

/** The user's live sessions, most recently seen first. */
export async function listSessions(userId: string, currentSessionId?: string): Promise<SessionSummary[]> {
  const rows = await getPrisma().session.findMany({
    where: { userId, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
  });
  return rows.map((row) => {
    const { browser, os } = describeUserAgent(row.userAgent);
    return {
      handle: sessionHandle(row.id),
      browser,
      os,
      ipAddress: row.ipAddress,
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
      expiresAt: row.expiresAt,
      current: row.id === currentSessionId,
    };
  });
}

export class SessionNotFoundError extends KnownError {
  override name = "SessionNotFoundError";
  constructor() {
    super("not_found", "not_found", "No such session: it has ended already. Reload the list.");
  }
}

/** Ends the user's session called `handle`; returns it as it was listed. */
export async function endSessionByHandle(userId: string, handle: string): Promise<{ id: string; browser: string }> {
  const prisma = getPrisma();
  const rows = await prisma.session.findMany({ where: { userId }, select: { id: true, userAgent: true } });
  const row = rows.find((candidate) => sessionHandle(candidate.id) === handle);
  if (!row || !(await endSession(row.id))) throw new SessionNotFoundError();
  const { browser, os } = describeUserAgent(row.userAgent);
  return { id: row.id, browser: `${browser} on ${os}` };
}

/** Ends every session of the user but `keepSessionId` ("End all others"); returns how many. */
export async function endOtherSessions(userId: string, keepSessionId: string): Promise<number> {
  const { count } = await getPrisma().session.deleteMany({ where: { userId, id: { not: keepSessionId } } });
  return count;
}
