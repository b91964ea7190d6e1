// Limits password guessing with rate-limiter-flexible's in-memory limiter. Two budgets, both
// charged *before* the password is checked, so parallel guesses draw on one budget (the
// limiter's counters change synchronously in this single-threaded process):
// - one username from one address: PAIR_POINTS attempts per PAIR_WINDOW_S, then that pair is
//   blocked for PAIR_BLOCK_S; a correct password clears it. An attacker guessing the owner's
//   password from elsewhere does not slow the owner down at their own address.
// - one address, any usernames: ADDRESS_POINTS attempts per ADDRESS_WINDOW_S, which stops a
//   username spray from one address (the address is the TCP peer, or the proxy's forwarded
//   value only when OPSTAGE_TRUST_PROXY names the proxy: see client-address.ts).
// Each key expires on its own; nothing evicts every key at once. A restart forgets, which a
// single-container app accepts (one free burst per restart, and a restart is visible).
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

export type LoginLimits = {
  pairPoints: number;
  pairWindowSeconds: number;
  pairBlockSeconds: number;
  addressPoints: number;
  addressWindowSeconds: number;
};

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  pairPoints: 10,
  pairWindowSeconds: 15 * 60,
  pairBlockSeconds: 15 * 60,
  addressPoints: 100,
  addressWindowSeconds: 60 * 60,
};

export type Reservation = { ok: true } | { ok: false; retryAfterSeconds: number; reason: string };

function retryAfter(rejection: unknown): number {
  if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
  throw rejection;
}

export class LoginLimiter {
  private readonly pair: RateLimiterMemory;
  private readonly address: RateLimiterMemory;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.pair = new RateLimiterMemory({
      keyPrefix: "login-pair",
      points: limits.pairPoints,
      duration: limits.pairWindowSeconds,
      blockDuration: limits.pairBlockSeconds,
    });
    this.address = new RateLimiterMemory({
      keyPrefix: "login-address",
      points: limits.addressPoints,
      duration: limits.addressWindowSeconds,
    });
  }

  private static pairKey(username: string, address: string | null): string {
    return `${username.toLowerCase()}|${address ?? "unknown"}`;
  }

  /** Charges one attempt; refused when either budget is spent. */
  async reserve(username: string, address: string | null): Promise<Reservation> {
    if (address) {
      try {
        await this.address.consume(address);
      } catch (rejection) {
        return {
          ok: false,
          retryAfterSeconds: retryAfter(rejection),
          reason: "too many sign-in attempts from this address",
        };
      }
    }
    try {
      await this.pair.consume(LoginLimiter.pairKey(username, address));
    } catch (rejection) {
      return {
        ok: false,
        retryAfterSeconds: retryAfter(rejection),
        reason: "too many failed sign-ins for this username from this address",
      };
    }
    return { ok: true };
  }

  /** A correct password: the pair starts afresh and the attempt is given back to the address. */
  async succeeded(username: string, address: string | null): Promise<void> {
    await this.pair.delete(LoginLimiter.pairKey(username, address));
    if (address) await this.address.reward(address);
  }
}
