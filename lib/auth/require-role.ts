// The one guard every console page and API route goes through.
import type { IncomingMessage, ServerResponse } from "node:http";
import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { getConfig } from "../config";
import { AuthError, type Actor } from "./actor";
import { userOfLiveSession } from "./sessions";
import type { Role } from "../generated/prisma/client";
import { authenticateApiToken } from "./api-tokens";
import { getAuthOptions } from "./options";
import { hasRole } from "../roles";
import { twoFactorRequired } from "./two-factor-policy";

/**
 * Where the credentials are read from: App Router code reads cookies and headers through
 * next/headers (no argument); a Pages Router API route passes its request and response.
 */
export type SessionSource = {
  req: IncomingMessage & { cookies: Partial<Record<string, string>> };
  res: ServerResponse;
};

async function authorizationHeader(source?: SessionSource): Promise<string | null> {
  if (source) return source.req.headers.authorization ?? null;
  return (await headers()).get("authorization");
}

async function actorFromToken(token: string): Promise<Actor> {
  const result = await authenticateApiToken(token);
  if (!result.ok) throw new AuthError(401, "invalid_token", result.reason);
  const { creator } = result;
  return {
    user: { id: creator.id, username: creator.username, displayName: creator.displayName, role: creator.role },
    token: { id: result.token.id, name: result.token.name },
  };
}

async function actorFromSession(source?: SessionSource): Promise<Actor> {
  const session = source
    ? await getServerSession(source.req, source.res, getAuthOptions())
    : await getServerSession(getAuthOptions());
  const sessionId = (session as { sessionId?: unknown } | null)?.sessionId;
  if (typeof sessionId !== "string") throw new AuthError(401, "unauthenticated", "Sign in first.");
  const user = await userOfLiveSession(sessionId);
  if (!user) {
    throw new AuthError(
      401,
      "unauthenticated",
      "This session has ended (signed out, expired, or the password was changed). Sign in again.",
    );
  }
  if (user.status !== "ACTIVE") {
    throw new AuthError(401, "unauthenticated", "Your account is not active. Sign in again.");
  }
  return {
    user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role },
    session: { id: sessionId, twoFactorEnabled: user.twoFactorEnabled },
  };
}

/** Where a user whom OPSTAGE_REQUIRE_2FA asks for a second factor sets it up. */
export const TWO_FACTOR_ENROLMENT_PATH = "/two-factor";

export type RequireRoleOptions = {
  /** Let a user through who must enrol a second factor and has not yet (the enrolment's own routes). */
  beforeTwoFactorEnrolment?: boolean;
};

/**
 * Returns the caller when they are active and at least `minimum`; throws AuthError 401 when
 * nobody is signed in (or the account or token is not valid), 403 when the role is too low.
 * Credentials: `Authorization: Bearer opst_…` (an owner's API token), else the session cookie.
 * The role is read from the database on every call, never from the session token. A session of
 * a user whom OPSTAGE_REQUIRE_2FA asks for a second factor, not yet set up, gets 403
 * two_factor_enrolment_required everywhere but the enrolment (options.beforeTwoFactorEnrolment).
 * While a restore swaps the database file, its queries wait for it (lib/db/lease.ts), and throw
 * MaintenanceError (503) past the wait.
 */
export async function requireRole(
  minimum: Role,
  source?: SessionSource,
  options: RequireRoleOptions = {},
): Promise<Actor> {
  const authorization = await authorizationHeader(source);
  // Other schemes (a reverse proxy's Basic auth) are not ours: those requests use the session.
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const actor = bearer ? await actorFromToken(bearer) : await actorFromSession(source);
  // API tokens are excepted: they are made by an owner who signed in, and scripts type no codes.
  if (
    actor.session &&
    !actor.session.twoFactorEnabled &&
    !options.beforeTwoFactorEnrolment &&
    twoFactorRequired(getConfig().requireTwoFactor, actor.user.role)
  ) {
    throw new AuthError(
      403,
      "two_factor_enrolment_required",
      `Your account must sign in with a second factor: set it up at ${TWO_FACTOR_ENROLMENT_PATH} first.`,
      actor,
    );
  }
  if (!hasRole(actor.user.role, minimum)) {
    throw new AuthError(403, "forbidden", `This needs the ${minimum} role; you are ${actor.user.role}.`, actor);
  }
  return actor;
}
