// next-auth v4 configuration: username/password (Credentials) and a JWT session cookie signed
// with OPSTAGE_SESSION_SECRET. The JWT carries only the user id; role and status are read from
// the database on every guarded request (see require-role.ts), so a demotion or a disabled
// account takes effect at once instead of when the token expires.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getConfig } from "../config";
import { signInWithPassword } from "./sign-in";

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

let options: NextAuthOptions | undefined;

export function getAuthOptions(): NextAuthOptions {
  if (options) return options;
  const config = getConfig();
  bridgeNextAuthEnvironment(config.publicBaseUrl);
  options = {
    secret: config.sessionSecret,
    session: { strategy: "jwt", maxAge: config.sessionTtlSeconds },
    jwt: { maxAge: config.sessionTtlSeconds },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Password",
        credentials: {
          username: { label: "Username", type: "text" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const username = credentials?.username?.trim() ?? "";
          const password = credentials?.password ?? "";
          if (!username || !password) return null;
          const headers = req?.headers as Record<string, unknown> | undefined;
          const user = await signInWithPassword(username, password, {
            ipAddress: headerValue(headers, "x-forwarded-for")?.split(",")[0]?.trim() ?? null,
            userAgent: headerValue(headers, "user-agent"),
          });
          return user ? { id: user.id, name: user.displayName } : null;
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
      session({ session, token }) {
        return { ...session, userId: token.sub };
      },
    },
  };
  return options;
}
