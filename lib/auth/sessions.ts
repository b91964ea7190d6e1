// Server-side sessions: one Session row per signed-in browser. The session cookie (a next-auth
// JWT, see options.ts) carries only the row's id, and every guarded request reads the row
// (require-role.ts), so deleting it ends the session at the very next request. next-auth
// re-signs any valid cookie with a fresh expiry at /api/auth/session; the absolute expiry is the
// row's, so no refresh keeps a session past it.
import { randomBytes } from "node:crypto";
import { getPrisma } from "../db/prisma";
import type { Session, User } from "../generated/prisma/client";

/** How stale lastSeenAt may get before a request writes it again: each write hits the one file. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

export type SessionOrigin = { ipAddress: string | null; userAgent: string | null };

export type SessionUser = Pick<User, "id" | "username" | "displayName" | "role" | "status">;

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
    include: { user: { select: { id: true, username: true, displayName: true, role: true, status: true } } },
  });
  if (!session || session.expiresAt <= now) return null;
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await prisma.session.updateMany({ where: { id: sessionId }, data: { lastSeenAt: now } });
  }
  return session.user;
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
