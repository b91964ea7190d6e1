// User accounts: what the CLI, the bootstrap and sign-in need.
import { randomBytes } from "node:crypto";
import { getPrisma } from "../db/prisma";
import { anyUserExists } from "../db/raw-reads";
import { KnownError } from "../errors";
import type { Role, User } from "../generated/prisma/client";
import { hashPassword, passwordProblem } from "./password";

export class UserError extends KnownError {
  override name = "UserError";
  constructor(message: string) {
    super("invalid", "invalid_input", message);
  }
}

const USERNAME = /^[a-zA-Z0-9._-]{3,64}$/;

export function assertPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new UserError(`Password ${problem}.`);
}

export async function createUser(input: {
  username: string;
  password: string;
  role: Role;
  displayName?: string;
}): Promise<User> {
  if (!USERNAME.test(input.username)) {
    throw new UserError("Username must be 3-64 characters of letters, digits, . _ -");
  }
  assertPassword(input.password);
  const prisma = getPrisma();
  if (await prisma.user.findUnique({ where: { username: input.username } })) {
    throw new UserError(`User ${input.username} already exists.`);
  }
  return prisma.user.create({
    data: {
      username: input.username,
      displayName: input.displayName ?? input.username,
      role: input.role,
      passwordHash: await hashPassword(input.password),
    },
  });
}

export async function resetPassword(username: string, password: string): Promise<User> {
  assertPassword(password);
  const prisma = getPrisma();
  const user = await prisma.user.findUnique({ where: { username } });
  if (!user) throw new UserError(`No user named ${username}.`);
  // A new password ends the user's sessions (see sessions.ts), from the CLI as from the console.
  const passwordHash = await hashPassword(password);
  const [updated] = await prisma.$transaction([
    prisma.user.update({ where: { id: user.id }, data: { passwordHash } }),
    prisma.session.deleteMany({ where: { userId: user.id } }),
  ]);
  return updated;
}

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * On a database without users, creates the first owner from OPSTAGE_ADMIN_USERNAME/PASSWORD, or
 * as `admin` with a generated password that the caller prints once. Returns null when users exist.
 */
export async function bootstrapOwner(configured: {
  username: string | undefined;
  password: string | undefined;
}): Promise<{ user: User; generatedPassword: string | null } | null> {
  if (await anyUserExists()) return null;
  const generatedPassword = configured.password ? null : generatePassword();
  const user = await createUser({
    username: configured.username ?? "admin",
    password: configured.password ?? generatedPassword!,
    role: "owner",
    displayName: "Owner",
  });
  return { user, generatedPassword };
}
