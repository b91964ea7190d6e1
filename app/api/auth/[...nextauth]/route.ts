// next-auth's routes (sign-in, session, sign-out). Each runs under a shared database lease like
// every guarded route: a sign-in during a restore waits for the new file instead of reading or
// writing the one being replaced. A posted body (a sign-in form) is read here under the JSON
// size limit, declared or streamed, and next-auth gets a copy of it: next-auth would read a body
// of any size into memory, on a route anyone can reach.
import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { crossSiteReason, jsonError, knownFailureResponse } from "@/app/api/_shared/http";
import { readBodyText } from "@/app/api/_shared/json-body";
import { getAuthOptions } from "@/lib/auth/options";
import { isCallbackUrlNextAuthTakes } from "@/lib/auth/safe-callback";
import { withSharedLease } from "@/lib/db/lease";

type Context = { params: Promise<{ nextauth: string[] }> };

async function withLimitedBody(request: NextRequest): Promise<NextRequest> {
  if (request.method !== "POST" || !request.body) return request;
  const text = await readBodyText(request);
  return new NextRequest(request.url, { method: request.method, headers: request.headers, body: text });
}

// next-auth answers 500 to a callbackUrl (query or cookie) that is neither a path nor an http(s)
// URL, after logging it; the console only ever sends its own paths, so such a value is a
// stranger's, and the answer is the way home.
const isCallbackCookie = ({ name }: { name: string }) => name.endsWith("next-auth.callback-url");

function invalidCallbackUrl(request: NextRequest): boolean {
  const values = [
    request.nextUrl.searchParams.get("callbackUrl"),
    ...request.cookies
      .getAll()
      .filter(isCallbackCookie)
      .map((cookie) => cookie.value),
  ];
  return values.some((value) => value !== null && !isCallbackUrlNextAuthTakes(value, request.nextUrl.origin));
}

async function handler(request: NextRequest, context: Context) {
  // A sign-in (or sign-out) posted from another site: its csrf token pair would stop it too,
  // but the console's one cross-site check answers first, as on every other write.
  const crossSite = crossSiteReason(request.method, (name) => request.headers.get(name));
  if (crossSite) return jsonError(403, "cross_site", `Cross-site request refused (${crossSite}).`);
  if (invalidCallbackUrl(request)) {
    // A relative Location: the console may be reached under any name (see options.ts).
    const home = new Headers({ Location: "/" });
    for (const { name } of request.cookies.getAll().filter(isCallbackCookie))
      home.append("Set-Cookie", `${name}=; Path=/; Max-Age=0${name.startsWith("__Secure-") ? "; Secure" : ""}`);
    return new Response(null, { status: 303, headers: home });
  }
  try {
    const limited = await withLimitedBody(request);
    return await withSharedLease(
      () => NextAuth(limited as never, context as never, getAuthOptions()) as Promise<Response>,
    );
  } catch (error) {
    // A body past the limit (413), a restore's swap outlasting the wait (503); anything else is
    // next-auth's own to report.
    return knownFailureResponse(error);
  }
}

export { handler as GET, handler as POST };
