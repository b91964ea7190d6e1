// Password hashing with bcrypt (bcryptjs: pure JS, nothing native to build or download).
import bcrypt from "bcryptjs";

const COST = 12;
// bcrypt ignores bytes past 72; longer passwords are refused rather than silently truncated.
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 12;

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) return `must be at most ${MAX_PASSWORD_BYTES} bytes`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

// Compared against when the username does not exist, so that a wrong username takes as long as a
// wrong password and does not reveal which usernames exist. Made on first use, not at load: a
// cost-12 hash took a synchronous ~0.3 s of every server start and every CLI command.
let dummyHash: Promise<string> | undefined;

export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= bcrypt.hash("opstage-dummy-password", COST);
  await bcrypt.compare(password, await dummyHash);
}
