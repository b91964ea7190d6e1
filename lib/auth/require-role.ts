// The one guard every console page and API route goes through.
import type { IncomingMessage, ServerResponse } from "node:http";
import { getServerSession } from "next-auth";
import { getPrisma } from "../db/prisma";
import type { Role, User } from "../generated/prisma/client";
import { getAuthOptions } from "./options";
import { hasRole } from "./roles";

/**
 * Where the session cookie is read from: App Router code reads it through next/headers (no
 * argument); a Pages Router API route passes its request and response.
 */
export type SessionSource = { req: IncomingMessage & { cookies: Partial<Record<string, string>> }; res: ServerResponse };

export type Actor = { user: Pick<User, "id" | "username" | "displayName" | "role"> };

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly code: "unauthenticated" | "forbidden",
    message: string,
    readonly actor?: Actor,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

/**
 * Returns the signed-in user when they are active and at least `minimum`; throws AuthError 401
 * when nobody is signed in (or the account is gone or disabled), 403 when the role is too low.
 * The role is read from the database, not from the session token.
 */
export async function requireRole(minimum: Role, source?: SessionSource): Promise<Actor> {
  const session = source
    ? await getServerSession(source.req, source.res, getAuthOptions())
    : await getServerSession(getAuthOptions());
  const userId = (session as { userId?: string } | null)?.userId;
  if (!userId) throw new AuthError(401, "unauthenticated", "Sign in first.");
  const user = await getPrisma().user.findUnique({
    where: { id: userId },
    select: { id: true, username: true, displayName: true, role: true, status: true },
  });
  if (!user || user.status !== "ACTIVE") {
    throw new AuthError(401, "unauthenticated", "Your account is not active. Sign in again.");
  }
  const actor: Actor = { user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role } };
  if (!hasRole(user.role, minimum)) {
    throw new AuthError(403, "forbidden", `This needs the ${minimum} role; you are ${user.role}.`, actor);
  }
  return actor;
}
