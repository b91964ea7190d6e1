// My account: what every signed-in user may change about themselves. Changing the password ends
// the user's sessions and opens a new one for the caller (its cookie is re-issued, see
// app/api/_shared/session-cookie.ts).
import { getConfig } from "../config";
import { getPrisma } from "../db/prisma";
import type { Session } from "../generated/prisma/client";
import { hashPassword, verifyPassword } from "./password";
import type { Actor } from "./actor";
import {
  createSession,
  endAllSessions,
  endOtherSessions,
  endSessionByHandle,
  listSessions,
  type SessionOrigin,
  type SessionSummary,
} from "./sessions";
import { regenerateRecoveryCodes, removeTwoFactor, TwoFactorError } from "./two-factor";
import { twoFactorRequired } from "./two-factor-policy";
import { displayNameProblem, UserAdminError } from "./user-admin";
import { assertPassword, UserError } from "./users";

export async function getAccount(actor: Actor) {
  const user = await getPrisma().user.findUnique({
    where: { id: actor.user.id },
    select: {
      id: true,
      username: true,
      displayName: true,
      role: true,
      status: true,
      lastLoginAt: true,
      createdAt: true,
    },
  });
  if (!user) throw new UserAdminError(404, "not_found", "Your account no longer exists; sign in again.");
  return user;
}

export async function changeOwnDisplayName(actor: Actor, displayName: string) {
  const problem = displayNameProblem(displayName);
  if (problem) throw new UserAdminError(400, "invalid_input", problem);
  await getPrisma().user.update({ where: { id: actor.user.id }, data: { displayName: displayName.trim() } });
  return getAccount(actor);
}

async function assertCurrentPassword(actor: Actor, password: string): Promise<void> {
  const user = await getPrisma().user.findUnique({ where: { id: actor.user.id }, select: { passwordHash: true } });
  if (!user || !(await verifyPassword(password, user.passwordHash))) {
    throw new UserAdminError(400, "invalid_input", "The current password is wrong; type it again.");
  }
}

/**
 * Checks the current password, sets the new one and ends every session of the user; when the
 * caller used a session, opens a new one in its place (returned) so this browser stays signed in.
 */
export async function changeOwnPassword(
  actor: Actor,
  currentPassword: string,
  newPassword: string,
  origin: SessionOrigin,
): Promise<Session | null> {
  await assertCurrentPassword(actor, currentPassword);
  try {
    assertPassword(newPassword);
  } catch (error) {
    if (error instanceof UserError)
      throw new UserAdminError(400, "invalid_input", `The new ${error.message.toLowerCase()}`);
    throw error;
  }
  if (currentPassword === newPassword) {
    throw new UserAdminError(400, "invalid_input", "The new password must differ from the current one.");
  }
  const passwordHash = await hashPassword(newPassword);
  const prisma = getPrisma();
  await prisma.$transaction([
    prisma.user.update({ where: { id: actor.user.id }, data: { passwordHash } }),
    prisma.session.deleteMany({ where: { userId: actor.user.id } }),
  ]);
  return actor.session ? createSession(actor.user.id, getConfig().sessionTtlSeconds, origin) : null;
}

/** "Sign out everywhere": ends every session of the caller, this one included; returns how many. */
export function signOutEverywhere(actor: Actor): Promise<number> {
  return endAllSessions(actor.user.id);
}

/** The caller's live sessions; the one the request came with is marked current. */
export function listOwnSessions(actor: Actor): Promise<SessionSummary[]> {
  return listSessions(actor.user.id, actor.session?.id);
}

/** Ends one of the caller's sessions (this one too: that is signing out here). */
export function endOwnSession(actor: Actor, handle: string) {
  return endSessionByHandle(actor.user.id, handle);
}

/** "End all others": every session of the caller but this one. */
export function endOwnOtherSessions(actor: Actor): Promise<number> {
  if (!actor.session) return Promise.resolve(0);
  return endOtherSessions(actor.user.id, actor.session.id);
}

/** Turns the caller's second factor off (current password required), unless it is required of them. */
export async function turnOffOwnTwoFactor(actor: Actor, password: string): Promise<void> {
  if (twoFactorRequired(getConfig().requireTwoFactor, actor.user.role)) {
    throw new TwoFactorError(
      409,
      "required",
      "This console requires a second factor for your role (OPSTAGE_REQUIRE_2FA); it cannot be turned off.",
    );
  }
  await assertCurrentPassword(actor, password);
  if (!(await removeTwoFactor(actor.user.id))) {
    throw new TwoFactorError(409, "not_enabled", "Two-factor sign-in is already off.");
  }
}

/** New recovery codes for the caller (current password required); the old ones stop working. */
export async function newOwnRecoveryCodes(actor: Actor, password: string): Promise<string[]> {
  await assertCurrentPassword(actor, password);
  return regenerateRecoveryCodes(actor.user.id);
}
