// next-auth's routes (sign-in, session, sign-out). Each runs under a shared database lease like
// every guarded route: a sign-in during a restore waits for the new file instead of reading or
// writing the one being replaced. A posted body (a sign-in form) is read here under the JSON
// size limit, declared or streamed, and next-auth gets a copy of it: next-auth would read a body
// of any size into memory, on a route anyone can reach.
import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { knownFailureResponse } from "@/app/api/_shared/http";
import { readBodyText } from "@/app/api/_shared/json-body";
import { getAuthOptions } from "@/lib/auth/options";
import { withSharedLease } from "@/lib/db/lease";

type Context = { params: Promise<{ nextauth: string[] }> };

async function withLimitedBody(request: NextRequest): Promise<NextRequest> {
  if (request.method !== "POST" || !request.body) return request;
  const text = await readBodyText(request);
  return new NextRequest(request.url, { method: request.method, headers: request.headers, body: text });
}

async function handler(request: NextRequest, context: Context) {
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
