// next-auth v4 configuration: username/password (Credentials) and a JWT session cookie signed
// with OPSTAGE_SESSION_SECRET. The JWT carries only the id of a server-side Session row
// (sessions.ts); the row, the user's role and status are read from the database on every guarded
// request (see require-role.ts), so a demotion, a disabled account, a password reset or a
// sign-out takes effect at once instead of when the token expires.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getConfig } from "../config";
import { logger } from "../log";
import { clientAddress } from "./client-address";
import { safeCallbackPath } from "./safe-callback";
import { createSession, endSession } from "./sessions";
import { signInRefusalCode, signInWithCredentials } from "./sign-in";

// next-auth v4 derives its own URL from NEXTAUTH_URL or, with AUTH_TRUST_HOST, from the request's
// Host / X-Forwarded-* headers. Without either it assumes http://localhost:3000 and redirects
// there. A self-hosted console is reached under whatever name the owner gives it, so the Host is
// trusted unless OPSTAGE_PUBLIC_BASE_URL pins the URL.
function bridgeNextAuthEnvironment(publicBaseUrl: string | undefined): void {
  if (publicBaseUrl) process.env.NEXTAUTH_URL = publicBaseUrl;
  else process.env.AUTH_TRUST_HOST = "true";
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | null {
  const value = headers?.[name];
  return typeof value === "string" && value !== "" ? value : null;
}

// next-auth's default would send the browser to any URL on this origin; a callbackUrl is only
// ever one of our paths (see safe-callback.ts).
function sameOriginRedirect({ url, baseUrl }: { url: string; baseUrl: string }): string {
  let target: URL;
  try {
    target = new URL(url, baseUrl);
  } catch {
    return baseUrl;
  }
  if (target.origin !== new URL(baseUrl).origin) return baseUrl;
  return `${new URL(baseUrl).origin}${safeCallbackPath(`${target.pathname}${target.search}${target.hash}`)}`;
}

// next-auth's own logger writes with console.error, values and newlines as they came: a
// callbackUrl of "x\n{json}" would read as a record of ours in the JSON log. Through pino each
// report is one record, every value escaped.
const nextAuthLogger: NextAuthOptions["logger"] = {
  error(code, metadata) {
    const err = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
    logger().error({ nextAuthCode: code, err }, `next-auth reported ${code}`);
  },
  warn(code) {
    logger().warn({ nextAuthCode: code }, `next-auth warned ${code}`);
  },
  debug() {},
};

let options: NextAuthOptions | undefined;

export function getAuthOptions(): NextAuthOptions {
  if (options) return options;
  const config = getConfig();
  bridgeNextAuthEnvironment(config.publicBaseUrl);
  options = {
    secret: config.sessionSecret,
    logger: nextAuthLogger,
    session: { strategy: "jwt", maxAge: config.sessionTtlSeconds },
    jwt: { maxAge: config.sessionTtlSeconds },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Password",
        credentials: {
          username: { label: "Username", type: "text" },
          password: { label: "Password", type: "password" },
          code: { label: "Authentication code", type: "text" },
        },
        async authorize(credentials, req) {
          const username = credentials?.username?.trim() ?? "";
          const password = credentials?.password ?? "";
          if (!username || !password) return null;
          const headers = req?.headers as Record<string, unknown> | undefined;
          const origin = {
            ipAddress: clientAddress((name) => headerValue(headers, name), config.trustProxy),
            userAgent: headerValue(headers, "user-agent"),
          };
          const code = credentials?.code?.trim() || null;
          const outcome = await signInWithCredentials(username, password, code, origin);
          // A thrown message reaches the login form as signIn()'s `error` (the code step's cue).
          if (!outcome.ok && outcome.reason !== "invalid") throw new Error(signInRefusalCode(outcome));
          if (!outcome.ok) return null;
          const session = await createSession(outcome.user.id, config.sessionTtlSeconds, origin);
          return { id: outcome.user.id, sessionId: session.id };
        },
      }),
    ],
    callbacks: {
      redirect: sameOriginRedirect,
      jwt({ token, user }) {
        // `user` is set only on the sign-in request: the cookie then carries the session id and
        // nothing else (no name or user id); later calls keep it as it is.
        if (user) return { sid: (user as { sessionId?: string }).sessionId };
        return token;
      },
      session({ session, token }) {
        return { expires: session.expires, sessionId: token.sid };
      },
    },
    events: {
      // next-auth decodes the cookie before clearing it: deleting its row also ends any copy of
      // the cookie taken before the sign-out.
      async signOut({ token }) {
        const sessionId = (token as { sid?: unknown } | null)?.sid;
        if (typeof sessionId === "string") await endSession(sessionId);
      },
    },
  };
  return options;
}
