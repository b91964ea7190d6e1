// Password hashing with scrypt from node:crypto. Its async form runs on libuv's thread pool, so a
// burst of sign-ins no longer stalls the thread that answers every request (bcryptjs, used
// before, is pure JS and took ~0.45 s of that thread per hash at cost 12). Hashes made by bcrypt
// still verify (bcryptjs) and are replaced by a scrypt hash at the user's next successful
// sign-in (needsRehash, sign-in.ts).
//
// Stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url), so the parameters can be raised
// later and old hashes still verify.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { availableParallelism } from "node:os";
import bcrypt from "bcryptjs";
import pLimit from "p-limit";

// OWASP's scrypt choice N=2^15, r=8, p=3: 32 MiB per hash and ~0.1-0.4 s of a pool thread.
const PARAMETERS = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// scrypt needs 128 * N * r bytes; Node refuses past maxmem (32 MiB by default, just too little).
const MAX_MEMORY = 64 * 1024 * 1024;
const BCRYPT_PREFIX = /^\$2[aby]\$/;

// No hashing limit of its own now (bcrypt ignored bytes past 72); this bounds the work a
// sign-in can ask of the server.
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 12;

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) return `must be at most ${MAX_PASSWORD_BYTES} bytes`;
  return null;
}

// Hashes at once: one core fewer than the machine has, so a burst of sign-ins leaves a core to
// the thread that answers requests (libuv would run four, and the OS shares the cores among all).
const hashing = pLimit(Math.max(1, availableParallelism() - 1));

function scrypt(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return hashing(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCallback(password, salt, keyBytes, { ...options, maxmem: MAX_MEMORY }, (error, key) =>
          error ? reject(error) : resolve(key),
        ),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, PARAMETERS);
  const { N, r, p } = PARAMETERS;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

type ScryptHash = { N: number; r: number; p: number; salt: Buffer; key: Buffer };

function parseScryptHash(hash: string): ScryptHash | null {
  const parts = hash.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, "base64url");
  const key = Buffer.from(parts[5]!, "base64url");
  // A hash this build would refuse to compute (parameters past what it allows) is no match.
  if (![N, r, p].every(Number.isSafeInteger) || 128 * N * r > MAX_MEMORY || p > 16 || key.length === 0) return null;
  return { N, r, p, salt, key };
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (BCRYPT_PREFIX.test(hash)) return bcrypt.compare(password, hash);
  const parsed = parseScryptHash(hash);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return timingSafeEqual(key, parsed.key);
}

/** Whether a hash that just verified should be replaced: bcrypt, or scrypt with other parameters. */
export function needsRehash(hash: string): boolean {
  const parsed = parseScryptHash(hash);
  if (!parsed) return true;
  return parsed.N !== PARAMETERS.N || parsed.r !== PARAMETERS.r || parsed.p !== PARAMETERS.p;
}

// Compared against when the username does not exist, so that a wrong username takes as long as a
// wrong password and does not reveal which usernames exist. Made on first use, not at load.
let dummyHash: Promise<string> | undefined;

export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("opstage-dummy-password");
  await verifyPassword(password, await dummyHash);
}
