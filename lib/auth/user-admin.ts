// Managing other users' accounts (Settings → Users): owners only, checked here as well as by the
// routes. The last active owner can never be demoted, disabled or deleted: those changes are
// single conditional statements, so two owners demoting each other at the same moment cannot
// both succeed.
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { Role, User, UserStatus } from "../generated/prisma/client";
import { hashPassword } from "./password";
import { AuthError, type Actor } from "./actor";
import { hasRole } from "../roles";
import { endAllSessions, endSessionByHandle, listSessions, type SessionSummary } from "./sessions";
import { assertPassword, createUser, generatePassword, UserError } from "./users";

const KIND_OF_STATUS = { 400: "invalid", 404: "not_found", 409: "conflict" } as const;

/** A refused change (app/api/_shared/errors.ts answers it with its status and code). */
export class UserAdminError extends KnownError {
  override name = "UserAdminError";
  constructor(
    readonly status: 400 | 404 | 409,
    code: "invalid_input" | "not_found" | "last_owner" | "has_history" | "conflict",
    message: string,
  ) {
    super(KIND_OF_STATUS[status], code, message);
  }
}

const LAST_OWNER = "This is the last active owner: make another user an active owner first, then change this one.";

export type UserSummary = Pick<
  User,
  "id" | "username" | "displayName" | "role" | "status" | "lastLoginAt" | "createdAt" | "updatedAt"
>;

const SUMMARY = {
  id: true,
  username: true,
  displayName: true,
  role: true,
  status: true,
  lastLoginAt: true,
  createdAt: true,
  updatedAt: true,
} as const;

function assertOwner(actor: Actor): void {
  if (!hasRole(actor.user.role, "owner")) {
    throw new AuthError(403, "forbidden", `This needs the owner role; you are ${actor.user.role}.`, actor);
  }
}

export type UserFilter = { search?: string; role?: Role; status?: UserStatus };

export function listUsers(actor: Actor, filter: UserFilter = {}): Promise<UserSummary[]> {
  assertOwner(actor);
  const search = filter.search?.trim();
  return getPrisma().user.findMany({
    where: {
      role: filter.role,
      status: filter.status,
      ...(search ? { OR: [{ username: { contains: search } }, { displayName: { contains: search } }] } : {}),
    },
    orderBy: { username: "asc" },
    select: SUMMARY,
  });
}

async function findUser(id: string): Promise<UserSummary> {
  const user = await getPrisma().user.findUnique({ where: { id }, select: SUMMARY });
  if (!user) throw new UserAdminError(404, "not_found", "No such user; reload the list.");
  return user;
}

export function displayNameProblem(displayName: string): string | null {
  const trimmed = displayName.trim();
  if (trimmed.length < 1 || trimmed.length > 100) return "The display name must be 1-100 characters.";
  return null;
}

export async function createUserAsOwner(
  actor: Actor,
  input: { username: string; displayName?: string; role: Role; password?: string | null },
): Promise<{ user: UserSummary; generatedPassword: string | null }> {
  assertOwner(actor);
  // An empty display name means "use the username" (the form's field is optional).
  const displayName = input.displayName?.trim() || undefined;
  if (displayName !== undefined) {
    const problem = displayNameProblem(displayName);
    if (problem) throw new UserAdminError(400, "invalid_input", problem);
  }
  const generatedPassword = input.password ? null : generatePassword();
  try {
    const user = await createUser({
      username: input.username,
      password: input.password || generatedPassword!,
      role: input.role,
      displayName,
    });
    return { user: await findUser(user.id), generatedPassword };
  } catch (error) {
    if (error instanceof UserError) {
      const exists = /already exists/.test(error.message);
      throw new UserAdminError(exists ? 409 : 400, exists ? "conflict" : "invalid_input", error.message);
    }
    throw error;
  }
}

export async function changeUserRole(
  actor: Actor,
  id: string,
  role: Role,
): Promise<{ user: UserSummary; from: Role; to: Role }> {
  assertOwner(actor);
  const before = await findUser(id);
  if (before.role === role) return { user: before, from: role, to: role };
  const prisma = getPrisma();
  // One statement: the row changes only while another active owner exists (or it is no owner).
  const changed = await prisma.$executeRaw`
    UPDATE "User" SET "role" = ${role}
    WHERE "id" = ${id}
      AND NOT ("role" = 'owner' AND "status" = 'ACTIVE' AND ${role} <> 'owner' AND NOT EXISTS (
        SELECT 1 FROM "User" AS other WHERE other."role" = 'owner' AND other."status" = 'ACTIVE' AND other."id" <> ${id}))`;
  if (changed === 0) {
    await findUser(id);
    throw new UserAdminError(409, "last_owner", LAST_OWNER);
  }
  const user = await prisma.user.update({ where: { id }, data: { updatedAt: new Date() }, select: SUMMARY });
  return { user, from: before.role, to: role };
}

/** Disabling ends the user's sessions at once; their API tokens stop working with the status. */
export async function setUserStatus(
  actor: Actor,
  id: string,
  status: UserStatus,
): Promise<{ user: UserSummary; changed: boolean }> {
  assertOwner(actor);
  const before = await findUser(id);
  if (before.status === status) return { user: before, changed: false };
  const prisma = getPrisma();
  const changed = await prisma.$executeRaw`
    UPDATE "User" SET "status" = ${status}
    WHERE "id" = ${id}
      AND NOT ("role" = 'owner' AND "status" = 'ACTIVE' AND ${status} <> 'ACTIVE' AND NOT EXISTS (
        SELECT 1 FROM "User" AS other WHERE other."role" = 'owner' AND other."status" = 'ACTIVE' AND other."id" <> ${id}))`;
  if (changed === 0) {
    await findUser(id);
    throw new UserAdminError(409, "last_owner", LAST_OWNER);
  }
  // Enabling again must not bring back a session ended by the disable: both end them.
  const [user] = await prisma.$transaction([
    prisma.user.update({ where: { id }, data: { updatedAt: new Date() }, select: SUMMARY }),
    prisma.session.deleteMany({ where: { userId: id } }),
  ]);
  return { user, changed: true };
}

/** Sets a new password (or generates one, returned once) and ends the user's sessions. */
export async function resetUserPassword(
  actor: Actor,
  id: string,
  password?: string | null,
): Promise<{ user: UserSummary; generatedPassword: string | null }> {
  assertOwner(actor);
  await findUser(id);
  const generatedPassword = password ? null : generatePassword();
  try {
    assertPassword(password || generatedPassword!);
  } catch (error) {
    if (error instanceof UserError) throw new UserAdminError(400, "invalid_input", error.message);
    throw error;
  }
  const passwordHash = await hashPassword(password || generatedPassword!);
  const prisma = getPrisma();
  const [user] = await prisma.$transaction([
    prisma.user.update({ where: { id }, data: { passwordHash }, select: SUMMARY }),
    prisma.session.deleteMany({ where: { userId: id } }),
  ]);
  return { user, generatedPassword };
}

/**
 * Deletes a user who never acted (no audit event names them as actor); a user with history is
 * disabled instead, so the log keeps saying who did what.
 */
export async function deleteUser(actor: Actor, id: string): Promise<UserSummary> {
  assertOwner(actor);
  const before = await findUser(id);
  const deleted = await getPrisma().$executeRaw`
    DELETE FROM "User"
    WHERE "id" = ${id}
      AND NOT EXISTS (SELECT 1 FROM "AuditEvent" WHERE "actorType" = 'USER' AND "actorId" = ${id})
      AND NOT ("role" = 'owner' AND "status" = 'ACTIVE' AND NOT EXISTS (
        SELECT 1 FROM "User" AS other WHERE other."role" = 'owner' AND other."status" = 'ACTIVE' AND other."id" <> ${id}))`;
  if (deleted === 1) return before;
  const user = await findUser(id);
  const otherOwner = await getPrisma().user.findFirst({
    where: { role: "owner", status: "ACTIVE", id: { not: id } },
    select: { id: true },
  });
  if (user.role === "owner" && user.status === "ACTIVE" && !otherOwner) {
    throw new UserAdminError(409, "last_owner", LAST_OWNER);
  }
  throw new UserAdminError(
    409,
    "has_history",
    `${user.username} has audit history and cannot be deleted; disable the account instead.`,
  );
}

/** A user's live sessions, for an owner (Settings → Users); the owner's own is marked current. */
export async function listUserSessions(
  actor: Actor,
  id: string,
): Promise<{ user: UserSummary; sessions: SessionSummary[] }> {
  assertOwner(actor);
  const user = await findUser(id);
  return { user, sessions: await listSessions(id, actor.session?.id) };
}

/** Ends one session of a user. */
export async function endUserSession(actor: Actor, id: string, handle: string) {
  assertOwner(actor);
  const user = await findUser(id);
  return { user, session: await endSessionByHandle(id, handle) };
}

/** Ends every session of a user; returns how many there were. */
export async function endUserSessions(actor: Actor, id: string): Promise<{ user: UserSummary; ended: number }> {
  assertOwner(actor);
  const user = await findUser(id);
  return { user, ended: await endAllSessions(id) };
}
