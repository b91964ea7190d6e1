// Checks a username and password, then the second factor when the user has one: throttled,
// audited, constant-time for unknown users.
import { recordAuditSafely, type RequestOrigin } from "../audit/record";
import { getPrisma } from "../db/prisma";
import type { User } from "../generated/prisma/client";
import { processSingleton } from "../process-singleton";
import { LoginLimiter } from "./login-throttle";
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from "./password";
import { hasTwoFactor, spendSecondFactor } from "./two-factor";

// One limiter per process (process-singleton.ts), whichever bundle signs in. Codes have their
// own, charged per user from any address: whoever reaches the code step knows the password, and
// may have many addresses.
const limiter = processSingleton("login-limiter", () => new LoginLimiter());
const codeLimiter = processSingleton("second-factor-limiter", () => new LoginLimiter());

export type SignInOutcome =
  | { ok: true; user: User }
  /** invalid: any wrong or refused password, said the same way whatever the reason. */
  | { ok: false; reason: "invalid" | "second_factor_required" | "second_factor_invalid" | "second_factor_throttled" }
  /**
   * The attempt budget is spent: said as such, with when to try again. It tells nothing about the
   * username: the budget is charged before the user is looked up, the same for one that does
   * not exist, and a right password waits like a wrong one.
   */
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

/** The refusal as the login form receives it (signIn()'s `error`): "throttled:900" carries the wait. */
export function signInRefusalCode(outcome: Exclude<SignInOutcome, { ok: true }>): string {
  return outcome.reason === "throttled" ? `throttled:${outcome.retryAfterSeconds}` : outcome.reason;
}

/** A refused sign-in: a wrong credential (FAILURE) or a spent budget (DENIED). */
async function refused(
  kind: "failed" | "throttled",
  username: string,
  userId: string | null,
  message: string,
  origin: RequestOrigin,
) {
  await recordAuditSafely({
    actor: { type: "USER", id: userId },
    action: `auth.login.${kind}`,
    result: kind === "failed" ? "FAILURE" : "DENIED",
    targetType: "user",
    targetId: username.slice(0, 64),
    message,
    origin,
  });
}

/**
 * The password, and for a user with a second factor the `code` (a TOTP code or a recovery code)
 * typed after it. Without a code such a user gets "second_factor_required" and no session.
 */
export async function signInWithCredentials(
  username: string,
  password: string,
  code: string | null,
  origin: RequestOrigin,
): Promise<SignInOutcome> {
  const reservation = await limiter.reserve(username, origin.ipAddress);
  if (!reservation.ok) {
    await refused(
      "throttled",
      username,
      null,
      `${reservation.reason}; retry in ${reservation.retryAfterSeconds} s`,
      origin,
    );
    return { ok: false, reason: "throttled", retryAfterSeconds: reservation.retryAfterSeconds };
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
    await refused("failed", username, user?.id ?? null, failure, origin);
    return { ok: false, reason: "invalid" };
  }
  await limiter.succeeded(username, origin.ipAddress);

  let secondFactor: "totp" | "recovery" | null = null;
  if (await hasTwoFactor(user!.id)) {
    if (!code) return { ok: false, reason: "second_factor_required" };
    const codeReservation = await codeLimiter.reserve(username, null);
    if (!codeReservation.ok) {
      await refused(
        "throttled",
        username,
        user!.id,
        `too many wrong second-factor codes for this user; retry in ${codeReservation.retryAfterSeconds} s`,
        origin,
      );
      return { ok: false, reason: "second_factor_throttled" };
    }
    secondFactor = await spendSecondFactor(user!.id, code);
    if (!secondFactor) {
      await refused("failed", username, user!.id, "wrong second-factor code", origin);
      return { ok: false, reason: "second_factor_invalid" };
    }
    await codeLimiter.succeeded(username, null);
  }

  await prisma.user.update({ where: { id: user!.id }, data: { lastLoginAt: new Date() } });
  if (needsRehash(user!.passwordHash)) await upgradePasswordHash(user!.id, user!.passwordHash, password);
  await recordAuditSafely({
    actor: { type: "USER", id: user!.id },
    action: "auth.login.succeeded",
    result: "SUCCESS",
    targetType: "user",
    targetId: user!.username,
    origin,
    ...(secondFactor ? { metadata: { secondFactor } } : {}),
  });
  return { ok: true, user: user! };
}

/**
 * Replaces a bcrypt hash (or one with old parameters) by a current one, now that the password is
 * known to be right. Only while the stored hash is still the one checked: a reset made meanwhile wins.
 */
async function upgradePasswordHash(userId: string, checkedHash: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await getPrisma().user.updateMany({ where: { id: userId, passwordHash: checkedHash }, data: { passwordHash } });
}
