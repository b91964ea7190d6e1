// Checks a username and password: throttled, audited, constant-time for unknown users.
import { recordAuditSafely, type RequestOrigin } from "../audit/record";
import { getPrisma } from "../db/prisma";
import type { User } from "../generated/prisma/client";
import { LoginLimiter } from "./login-throttle";
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from "./password";

// One limiter per process: next-auth's route and any other bundle share it through globalThis.
const globalForLimiter = globalThis as unknown as { opstageLoginLimiter?: LoginLimiter };
const limiter = (globalForLimiter.opstageLoginLimiter ??= new LoginLimiter());

export async function signInWithPassword(
  username: string,
  password: string,
  origin: RequestOrigin,
): Promise<User | null> {
  const reservation = await limiter.reserve(username, origin.ipAddress);
  if (!reservation.ok) {
    await recordAuditSafely({
      actor: { type: "USER", id: null },
      action: "auth.login.throttled",
      result: "DENIED",
      targetType: "user",
      targetId: username.slice(0, 64),
      message: `${reservation.reason}; retry in ${reservation.retryAfterSeconds} s`,
      origin,
    });
    return null;
  }

  const prisma = getPrisma();
  const user = await prisma.user.findUnique({ where: { username } });
  let failure: string | null = null;
  if (!user) {
    await burnPasswordCheck(password);
    failure = "unknown username";
  } else if (!(await verifyPassword(password, user.passwordHash))) {
    failure = "wrong password";
  } else if (user.status !== "ACTIVE") {
    failure = "account disabled";
  }

  if (failure) {
    await recordAuditSafely({
      actor: { type: "USER", id: user?.id ?? null },
      action: "auth.login.failed",
      result: "FAILURE",
      targetType: "user",
      targetId: username.slice(0, 64),
      message: failure,
      origin,
    });
    return null;
  }

  await limiter.succeeded(username, origin.ipAddress);
  await prisma.user.update({ where: { id: user!.id }, data: { lastLoginAt: new Date() } });
  if (needsRehash(user!.passwordHash)) await upgradePasswordHash(user!.id, user!.passwordHash, password);
  await recordAuditSafely({
    actor: { type: "USER", id: user!.id },
    action: "auth.login.succeeded",
    result: "SUCCESS",
    targetType: "user",
    targetId: user!.username,
    origin,
  });
  return user!;
}

/**
 * Replaces a bcrypt hash (or one with old parameters) by a current one, now that the password is
 * known to be right. Only while the stored hash is still the one checked: a reset made meanwhile wins.
 */
async function upgradePasswordHash(userId: string, checkedHash: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await getPrisma().user.updateMany({ where: { id: userId, passwordHash: checkedHash }, data: { passwordHash } });
}
