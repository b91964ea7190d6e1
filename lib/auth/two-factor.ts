// The second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, what every authenticator
// app reads from an otpauth:// QR code) with @oslojs/otp, and ten one-time recovery codes.
// Enrolment is two steps: start (a new secret, shown as QR code and text), then confirm with a
// current code, which turns the factor on and hands out the recovery codes once.
import { createHash, randomBytes } from "node:crypto";
import {
  decodeBase32IgnorePadding,
  encodeBase32LowerCaseNoPadding,
  encodeBase32UpperCaseNoPadding,
} from "@oslojs/encoding";
import { createTOTPKeyURI, verifyHOTP } from "@oslojs/otp";
import QRCode from "qrcode";
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { User } from "../generated/prisma/client";

const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ISSUER = "Opstage CE";
const SECRET_BYTES = 20;
export const RECOVERY_CODE_COUNT = 10;

export class TwoFactorError extends KnownError {
  override name = "TwoFactorError";
  constructor(
    readonly status: 400 | 404 | 409,
    code: "invalid_code" | "not_enrolling" | "already_enabled" | "not_enabled" | "required" | "not_found",
    message: string,
  ) {
    super(status === 400 ? "invalid" : status === 404 ? "not_found" : "conflict", code, message);
  }
}

function currentStep(now = Date.now()): number {
  return Math.floor(now / 1000 / PERIOD_SECONDS);
}

/**
 * The time step `code` belongs to, when it is the code of the step before, the current one or
 * the next (a phone's clock a little off) and later than `after`; else null.
 */
export function matchingStep(secret: string, code: string, after: number, now = Date.now()): number | null {
  const digits = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(digits)) return null;
  const key = decodeBase32IgnorePadding(secret);
  const step = currentStep(now);
  for (const candidate of [step - 1, step, step + 1]) {
    if (candidate > after && verifyHOTP(key, BigInt(candidate), DIGITS, digits)) return candidate;
  }
  return null;
}

function hashRecoveryCode(code: string): string {
  return createHash("sha256").update(normalizeRecoveryCode(code)).digest("hex");
}

// Typed back by people: case, spaces and dashes do not matter.
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function newRecoveryCode(): string {
  // 60 random bits as 12 base32 characters, shown in groups of four.
  const text = encodeBase32LowerCaseNoPadding(randomBytes(8)).slice(0, 12);
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}`;
}

export type TwoFactorStatus = { enabled: boolean; enabledAt: Date | null; recoveryCodesLeft: number };

export async function twoFactorStatus(userId: string): Promise<TwoFactorStatus> {
  const prisma = getPrisma();
  const row = await prisma.twoFactor.findUnique({ where: { userId }, select: { enabledAt: true } });
  const recoveryCodesLeft = row?.enabledAt ? await prisma.recoveryCode.count({ where: { userId, usedAt: null } }) : 0;
  return { enabled: Boolean(row?.enabledAt), enabledAt: row?.enabledAt ?? null, recoveryCodesLeft };
}

export type Enrolment = { secret: string; uri: string; qrCode: string };

/** Starts (or starts again) an enrolment: a new secret, not yet asked for at sign-in. */
export async function startEnrolment(userId: string, username: string): Promise<Enrolment> {
  const prisma = getPrisma();
  const existing = await prisma.twoFactor.findUnique({ where: { userId }, select: { enabledAt: true } });
  if (existing?.enabledAt) {
    throw new TwoFactorError(
      409,
      "already_enabled",
      "Two-factor sign-in is already on. Turn it off first to set up another authenticator.",
    );
  }
  const key = randomBytes(SECRET_BYTES);
  const secret = encodeBase32UpperCaseNoPadding(key);
  await prisma.twoFactor.upsert({
    where: { userId },
    create: { userId, secret },
    update: { secret, lastUsedStep: 0, createdAt: new Date() },
  });
  const uri = createTOTPKeyURI(ISSUER, username, key, PERIOD_SECONDS, DIGITS);
  const qrCode = await QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2, width: 240 });
  return { secret, uri, qrCode };
}

/** Turns the factor on with a current code; returns the recovery codes, which are shown once. */
export async function confirmEnrolment(userId: string, code: string): Promise<string[]> {
  const prisma = getPrisma();
  const row = await prisma.twoFactor.findUnique({ where: { userId } });
  if (!row || row.enabledAt) {
    throw new TwoFactorError(
      409,
      "not_enrolling",
      row ? "Two-factor sign-in is already on." : "Start the set-up first: there is no authenticator to confirm.",
    );
  }
  const step = matchingStep(row.secret, code, row.lastUsedStep);
  if (step === null) {
    throw new TwoFactorError(
      400,
      "invalid_code",
      "That is not the authenticator's current code. Check that its clock is right and type the 6 digits it shows now.",
    );
  }
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await prisma.$transaction([
    prisma.twoFactor.update({ where: { userId }, data: { enabledAt: new Date(), lastUsedStep: step } }),
    prisma.recoveryCode.deleteMany({ where: { userId } }),
    prisma.recoveryCode.createMany({ data: codes.map((plain) => ({ userId, codeHash: hashRecoveryCode(plain) })) }),
  ]);
  return codes;
}

/** Replaces the recovery codes (the old ones stop working); returns the new ones, shown once. */
export async function regenerateRecoveryCodes(userId: string): Promise<string[]> {
  const prisma = getPrisma();
  const row = await prisma.twoFactor.findUnique({ where: { userId }, select: { enabledAt: true } });
  if (!row?.enabledAt) throw new TwoFactorError(409, "not_enabled", "Two-factor sign-in is off: set it up first.");
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await prisma.$transaction([
    prisma.recoveryCode.deleteMany({ where: { userId } }),
    prisma.recoveryCode.createMany({ data: codes.map((plain) => ({ userId, codeHash: hashRecoveryCode(plain) })) }),
  ]);
  return codes;
}

/** Turns the factor off and forgets its secret and recovery codes; false when it was not set up. */
export async function removeTwoFactor(userId: string): Promise<boolean> {
  const prisma = getPrisma();
  const [removed] = await prisma.$transaction([
    prisma.twoFactor.deleteMany({ where: { userId } }),
    prisma.recoveryCode.deleteMany({ where: { userId } }),
  ]);
  return removed.count > 0;
}

/** Whether the user has a second factor that sign-in must ask for. */
export async function hasTwoFactor(userId: string): Promise<boolean> {
  const row = await getPrisma().twoFactor.findUnique({ where: { userId }, select: { enabledAt: true } });
  return Boolean(row?.enabledAt);
}

/**
 * Checks a code typed at sign-in: a current TOTP code not used before, or an unused recovery
 * code, which is spent. Each is accepted once, also when two requests race (the update is
 * conditional). Returns which kind it was, or null.
 */
export async function spendSecondFactor(userId: string, code: string): Promise<"totp" | "recovery" | null> {
  const prisma = getPrisma();
  const row = await prisma.twoFactor.findUnique({ where: { userId } });
  if (!row?.enabledAt) return null;
  const step = matchingStep(row.secret, code, row.lastUsedStep);
  if (step !== null) {
    const { count } = await prisma.twoFactor.updateMany({
      where: { userId, lastUsedStep: { lt: step } },
      data: { lastUsedStep: step },
    });
    return count === 1 ? "totp" : null;
  }
  const normalized = normalizeRecoveryCode(code);
  if (normalized.length !== 12) return null;
  const { count } = await prisma.recoveryCode.updateMany({
    where: { userId, codeHash: hashRecoveryCode(normalized), usedAt: null },
    data: { usedAt: new Date() },
  });
  return count > 0 ? "recovery" : null;
}

/**
 * Removes a user's second factor and recovery codes (a lost phone, from the operator's shell):
 * they sign in with the password alone again, and set up a new one on My account (or are sent
 * there first when OPSTAGE_REQUIRE_2FA asks it of them). False when there was none.
 */
export async function resetTwoFactor(username: string): Promise<{ user: User; removed: boolean }> {
  const user = await getPrisma().user.findUnique({ where: { username } });
  if (!user) throw new TwoFactorError(404, "not_found", `No user named ${username}.`);
  return { user, removed: await removeTwoFactor(user.id) };
}
