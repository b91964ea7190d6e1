// next-auth's routes (sign-in, session, sign-out). Each runs under a shared database lease like
// every guarded route: a sign-in during a restore waits for the new file instead of reading or
// writing the one being replaced. The body (a sign-in form) is refused past the JSON size limit
// before next-auth reads it.
import NextAuth from "next-auth";
import { jsonError, knownFailureResponse } from "@/app/api/_shared/http";
import { JSON_BODY_LIMIT_BYTES } from "@/app/api/_shared/json-body";
import { getAuthOptions } from "@/lib/auth/options";
import { withSharedLease } from "@/lib/db/lease";

type Context = { params: Promise<{ nextauth: string[] }> };

async function handler(request: Request, context: Context) {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > JSON_BODY_LIMIT_BYTES) {
    return jsonError(413, "payload_too_large", `The request body is larger than ${JSON_BODY_LIMIT_BYTES / 1024} KiB.`);
  }
  try {
    return await withSharedLease(
      () => NextAuth(request as never, context as never, getAuthOptions()) as Promise<Response>,
    );
  } catch (error) {
    // A restore's swap outlasting the wait (503); anything else is next-auth's own to report.
    return knownFailureResponse(error);
  }
}

export { handler as GET, handler as POST };
