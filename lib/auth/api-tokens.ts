// Owner API tokens: `opst_` + 32 random bytes (base64url). Only their SHA-256 is stored, so a
// leaked database does not leak usable tokens; the plaintext is returned once, at creation.
import { createHash, randomBytes } from "node:crypto";
import { getPrisma } from "../db/prisma";
import { KnownError } from "../errors";
import type { ApiToken, User } from "../generated/prisma/client";

export const TOKEN_PREFIX = "opst_";
const TOKEN_PATTERN = /^opst_[A-Za-z0-9_-]{43,}$/;

export class TokenError extends KnownError {
  override name = "TokenError";
  constructor(message: string, kind: "invalid" | "not_found" = "invalid") {
    super(kind, kind === "invalid" ? "invalid_input" : "not_found", message);
  }
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type TokenStatus = "active" | "expired" | "revoked";

export function tokenStatus(token: Pick<ApiToken, "revokedAt" | "expiresAt">, now = new Date()): TokenStatus {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt <= now) return "expired";
  return "active";
}

export async function createApiToken(input: {
  name: string;
  createdById: string;
  expiresAt: Date | null;
}): Promise<{ token: string; record: ApiToken }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw new TokenError("The token name must be 1-100 characters.");
  if (input.expiresAt && input.expiresAt <= new Date()) throw new TokenError("The expiry must be in the future.");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const record = await getPrisma().apiToken.create({
    data: {
      name,
      tokenHash: hashToken(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 4),
      createdById: input.createdById,
      expiresAt: input.expiresAt,
    },
  });
  return { token, record };
}

export function listApiTokens() {
  return getPrisma().apiToken.findMany({
    orderBy: { createdAt: "desc" },
    include: { createdBy: { select: { username: true } } },
  });
}

export async function revokeApiToken(id: string): Promise<ApiToken> {
  const prisma = getPrisma();
  const token = await prisma.apiToken.findUnique({ where: { id } });
  if (!token) throw new TokenError("No such token.", "not_found");
  if (token.revokedAt) return token;
  return prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
}

export type TokenAuthentication =
  | { ok: true; token: ApiToken; creator: Pick<User, "id" | "username" | "displayName" | "role" | "status"> }
  | { ok: false; reason: string };

/**
 * Checks a bearer token. It acts as its creator and only while the creator is an active owner:
 * demoting or disabling the owner disables their tokens at once.
 */
export async function authenticateApiToken(token: string): Promise<TokenAuthentication> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: "The API token is malformed." };
  const prisma = getPrisma();
  const record = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { createdBy: { select: { id: true, username: true, displayName: true, role: true, status: true } } },
  });
  if (!record) return { ok: false, reason: "Unknown API token." };
  const status = tokenStatus(record);
  if (status !== "active") return { ok: false, reason: `The API token is ${status}.` };
  if (record.createdBy.status !== "ACTIVE" || record.createdBy.role !== "owner") {
    return { ok: false, reason: "The API token's creator is no longer an active owner." };
  }
  await prisma.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: new Date() } });
  const { createdBy, ...plain } = record;
  return { ok: true, token: plain, creator: createdBy };
}
