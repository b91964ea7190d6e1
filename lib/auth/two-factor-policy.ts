// Who OPSTAGE_REQUIRE_2FA asks for a second factor. Apart from two-factor.ts so that the guard,
// loaded by every route, does not load the TOTP and QR code libraries with it.
import type { Role } from "../generated/prisma/client";

export type TwoFactorPolicy = "off" | "owners" | "all";

export function twoFactorRequired(policy: TwoFactorPolicy, role: Role): boolean {
  return policy === "all" || (policy === "owners" && role === "owner");
}
