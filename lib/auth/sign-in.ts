// Checks a username and password: throttled, audited, constant-time for unknown users.
import { recordAuditSafely, type RequestOrigin } from "../audit/record";
import { getPrisma } from "../db/prisma";
import type { User } from "../generated/prisma/client";
import { LoginThrottle, throttleKeys } from "./login-throttle";
import { burnPasswordCheck, verifyPassword } from "./password";

const globalForThrottle = globalThis as unknown as { opstageLoginThrottle?: LoginThrottle };
const throttle = (globalForThrottle.opstageLoginThrottle ??= new LoginThrottle());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function signInWithPassword(
  username: string,
  password: string,
  origin: RequestOrigin,
): Promise<User | null> {
  const keys = throttleKeys(username, origin.ipAddress);
  const delay = throttle.delayMs(keys);
  if (delay > 0) await sleep(delay);

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
    throttle.recordFailure(keys);
    await recordAuditSafely({
      actor: { type: "USER", id: user?.id ?? null },
      action: "auth.login.failed",
      result: "FAILURE",
      targetType: "user",
      targetId: username.slice(0, 64),
      message: failure,
      origin,
      metadata: delay > 0 ? { delayedMs: delay } : undefined,
    });
    return null;
  }

  throttle.recordSuccess(keys);
  await prisma.user.update({ where: { id: user!.id }, data: { lastLoginAt: new Date() } });
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
