// Slows down password guessing: after FREE_FAILURES failed sign-ins for one username or from one
// IP address within WINDOW_MS, every further attempt on that key waits, doubling up to MAX_DELAY_MS.
// In memory: a restart forgets, which is fine for a single-container app (an attacker gains one
// free burst per restart, and a restart is visible to the owner).
const FREE_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const MAX_TRACKED_KEYS = 10_000;

type Failures = { count: number; firstAt: number };

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  private current(key: string): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && this.now() - entry.firstAt > WINDOW_MS) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  /** How long an attempt on these keys must wait before its password is checked. */
  delayMs(keys: string[]): number {
    const worst = Math.max(0, ...keys.map((key) => this.current(key)?.count ?? 0));
    if (worst < FREE_FAILURES) return 0;
    return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (worst - FREE_FAILURES));
  }

  recordFailure(keys: string[]): void {
    if (this.failures.size > MAX_TRACKED_KEYS) this.failures.clear();
    for (const key of keys) {
      const entry = this.current(key);
      if (entry) entry.count += 1;
      else this.failures.set(key, { count: 1, firstAt: this.now() });
    }
  }

  recordSuccess(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

export function throttleKeys(username: string, ipAddress: string | null): string[] {
  const keys = [`user:${username.toLowerCase()}`];
  if (ipAddress) keys.push(`ip:${ipAddress}`);
  return keys;
}
