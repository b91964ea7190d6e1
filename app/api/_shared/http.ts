// The HTTP edge shared by every API route: one error shape, one guard wrapper, the request's
// origin, and the cross-site check. Headers are read through a getter so the one Pages Router
// route (the backup download, see pages/api/admin/backup/sqlite.ts) shares all of it.
import type { RequestOrigin } from "@/lib/audit/record";
import { clientAddress, normalizeAddress, PEER_HEADER } from "@/lib/auth/client-address";
import { AuthError, type Actor } from "@/lib/auth/actor";
import { requireRole, type SessionSource } from "@/lib/auth/require-role";
import { getConfig } from "@/lib/config";
import { withSharedLease } from "@/lib/db/lease";
import { httpFailureOf, knownFailureOf, type HttpFailure } from "./errors";
import type { Role } from "@/lib/generated/prisma/client";

export type HeaderGetter = (name: string) => string | null;

export type ErrorBody = { error: { code: string; message: string } };

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function jsonError(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json(errorBody(code, message), { status, headers });
}

/**
 * The answer for a known failure, for a route that catches to audit a refusal first; rethrows
 * anything else (guardedRoute logs it and answers a generic 500).
 */
export function knownFailureResponse(error: unknown): Response {
  const known = knownFailureOf(error);
  if (known) return failureResponse(known);
  throw error;
}

export function failureResponse(failure: HttpFailure): Response {
  return jsonError(failure.status, failure.code, failure.message, failure.headers);
}

export function requestOrigin(header: HeaderGetter): RequestOrigin {
  return { ipAddress: clientAddress(header, getConfig().trustProxy), userAgent: header("user-agent") };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The origin a browser on this console sends: OPSTAGE_PUBLIC_BASE_URL's when set, else the
 * request's own (http, as `opstage serve` speaks it, or the X-Forwarded-Proto of a proxy named in
 * OPSTAGE_TRUST_PROXY that terminates TLS in front of it), with the Host it was sent to.
 */
function consoleOrigin(header: HeaderGetter): string | null {
  const { publicBaseUrl, trustProxy } = getConfig();
  if (publicBaseUrl) return new URL(publicBaseUrl).origin;
  const host = header("host");
  if (!host) return null;
  const peer = header(PEER_HEADER);
  const forwardedProto = header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const scheme =
    peer && trustProxy.includes(normalizeAddress(peer)) && (forwardedProto === "https" || forwardedProto === "http")
      ? forwardedProto
      : "http";
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * Why a state-changing request looks cross-site, or null. Browsers send Sec-Fetch-Site on every
 * request and Origin on every POST; a forged cross-site form or fetch cannot hide either.
 * Clients that send neither (curl from a host cron) are not browsers and carry no ambient
 * cookies, so they pass and are judged by their credentials alone. The whole origin is compared
 * (scheme, host and port): https://host:port is another site than http://host:port.
 */
export function crossSiteReason(method: string, header: HeaderGetter): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const fetchSite = header("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") {
    return `Sec-Fetch-Site is ${fetchSite}`;
  }
  const origin = header("origin");
  if (origin) {
    let sent: string;
    try {
      sent = new URL(origin).origin;
    } catch {
      return `Origin ${origin} is not a URL`;
    }
    if (sent !== consoleOrigin(header)) return `Origin ${origin} is not this console`;
  }
  return null;
}

export type GuardedContext = { actor: Actor; origin: RequestOrigin };

export type GuardOptions = {
  /** Called when a signed-in user lacks the role or the request is cross-site (for auditing). */
  onDenied?: (reason: string, origin: RequestOrigin, actor: Actor | undefined) => Promise<void>;
  /**
   * guardedRoute runs the whole request under one shared database lease, so that a restore
   * never swaps the file between two of its queries. Off only for the restore itself, which
   * takes the exclusive lease and would otherwise wait for its own request.
   */
  leaseDatabase?: boolean;
};

export type GuardOutcome = { ok: true; context: GuardedContext } | { ok: false; status: 401 | 403; body: ErrorBody };

/** The checks every guarded API request passes: same-site for writes, then requireRole(). */
export async function guardRequest(
  method: string,
  header: HeaderGetter,
  minimum: Role,
  options: GuardOptions,
  session?: SessionSource,
): Promise<GuardOutcome> {
  const origin = requestOrigin(header);
  const crossSite = crossSiteReason(method, header);
  if (crossSite) {
    await options.onDenied?.(`cross-site request refused: ${crossSite}`, origin, undefined);
    return { ok: false, status: 403, body: errorBody("cross_site", `Cross-site request refused (${crossSite}).`) };
  }
  try {
    return { ok: true, context: { actor: await requireRole(minimum, session), origin } };
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (error.status === 403) await options.onDenied?.(error.message, origin, error.actor);
    return { ok: false, status: error.status, body: errorBody(error.code, error.message) };
  }
}

/**
 * Wraps an App Router route handler with guardRequest and the error mapper (errors.ts): a handler
 * throws, and the answer is the error's status and code, or a generic 500 that hides the message.
 */
export function guardedRoute<P>(
  minimum: Role,
  handler: (request: Request, context: GuardedContext, params: P) => Promise<Response>,
  options: GuardOptions = {},
) {
  const run = async (request: Request, routeContext: { params: Promise<P> }): Promise<Response> => {
    const outcome = await guardRequest(request.method, (name) => request.headers.get(name), minimum, options);
    if (!outcome.ok) return Response.json(outcome.body, { status: outcome.status });
    return handler(request, outcome.context, await routeContext.params);
  };
  const leased =
    options.leaseDatabase === false
      ? run
      : (request: Request, routeContext: { params: Promise<P> }) => withSharedLease(() => run(request, routeContext));
  return async (request: Request, routeContext: { params: Promise<P> }): Promise<Response> => {
    try {
      return await leased(request, routeContext);
    } catch (error) {
      return failureResponse(httpFailureOf(error, `${request.method} ${new URL(request.url).pathname}`));
    }
  };
}
