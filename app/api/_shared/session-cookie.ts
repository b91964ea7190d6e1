// Re-issues the caller's own session cookie with a new session version. Changing one's password
// raises the version, which ends every session of the user; the browser that made the change
// keeps working because it gets this new cookie in the same answer.
import { decode, encode } from "next-auth/jwt";
import { getConfig } from "@/lib/config";

// next-auth v4 names the cookie with the __Secure- prefix when its URL is https; tokens this
// small are never split into .0/.1 chunks.
const SESSION_COOKIE_NAMES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

function readCookie(header: string | null, name: string): string | null {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

/** A Set-Cookie value carrying the caller's session at `sessionVersion`, or null without one. */
export async function reissuedSessionCookie(request: Request, sessionVersion: number): Promise<string | null> {
  const { sessionSecret: secret, sessionTtlSeconds: maxAge } = getConfig();
  const cookieHeader = request.headers.get("cookie");
  for (const name of SESSION_COOKIE_NAMES) {
    const current = readCookie(cookieHeader, name);
    if (!current) continue;
    const token = await decode({ token: current, secret });
    if (!token) return null;
    const value = await encode({ token: { ...token, sv: sessionVersion }, secret, maxAge });
    const secure = name.startsWith("__Secure-") ? "; Secure" : "";
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  }
  return null;
}
