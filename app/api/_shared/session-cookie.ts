// Re-issues the caller's session cookie for a new session. Changing one's password ends every
// session of the user (their rows are deleted) and opens a new one for the browser that made the
// change, which keeps working because it gets this cookie in the same answer.
import { encode } from "next-auth/jwt";
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

/**
 * A Set-Cookie value carrying session `sessionId` under the name the caller's cookie has, or
 * null when the request came without one. The token holds only the session id, as at sign-in
 * (lib/auth/options.ts).
 */
export async function reissuedSessionCookie(request: Request, sessionId: string): Promise<string | null> {
  const { sessionSecret: secret, sessionTtlSeconds: maxAge } = getConfig();
  const cookieHeader = request.headers.get("cookie");
  for (const name of SESSION_COOKIE_NAMES) {
    if (!readCookie(cookieHeader, name)) continue;
    const value = await encode({ token: { sid: sessionId }, secret, maxAge });
    const secure = name.startsWith("__Secure-") ? "; Secure" : "";
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  }
  return null;
}
