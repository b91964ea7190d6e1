// Ending sessions. A session is a signed JWT cookie that stays valid until it expires, so ending
// one early needs server-side state, checked on every request (require-role.ts):
// - the user's sessionVersion, copied into the token at sign-in: raising it ends every session
//   of that user issued before (password change or reset, disable, "sign out everywhere");
// - RevokedSession rows for single sessions ended by signing out, kept until they would have
//   expired anyway.
import { randomUUID } from "node:crypto";
import { getPrisma } from "../db/prisma";

/** What the session token carries besides the user id (see options.ts). */
export type SessionClaims = { sessionId: string; sessionVersion: number };

export function newSessionId(): string {
  return randomUUID();
}

/** Ends every session of the user issued so far; returns the new version. */
export async function endAllSessions(userId: string): Promise<number> {
  const user = await getPrisma().user.update({
    where: { id: userId },
    data: { sessionVersion: { increment: 1 } },
    select: { sessionVersion: true },
  });
  return user.sessionVersion;
}

/** Ends one session (signing out). Expired rows are dropped on the way: they can never match. */
export async function revokeSession(sessionId: string, expiresAt: Date): Promise<void> {
  const prisma = getPrisma();
  await prisma.revokedSession.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await prisma.revokedSession.upsert({
    where: { sessionId },
    create: { sessionId, expiresAt },
    update: { expiresAt },
  });
}

/** Whether a session with these claims may still be used by a user at `currentVersion`. */
export async function isSessionCurrent(claims: Partial<SessionClaims>, currentVersion: number): Promise<boolean> {
  if (typeof claims.sessionId !== "string" || claims.sessionVersion !== currentVersion) return false;
  const revoked = await getPrisma().revokedSession.findUnique({ where: { sessionId: claims.sessionId } });
  return revoked === null;
}
