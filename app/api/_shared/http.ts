// The HTTP edge shared by every API route: one error shape, one guard wrapper, request origin.
import type { RequestOrigin } from "@/lib/audit/record";
import { AuthError, requireRole, type Actor } from "@/lib/auth/require-role";
import { getConfig } from "@/lib/config";
import type { Role } from "@/lib/generated/prisma/client";

export function jsonError(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

export function requestOrigin(request: Request): RequestOrigin {
  const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return { ipAddress: forwarded || null, userAgent: request.headers.get("user-agent") };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a state-changing request looks cross-site, or null. Browsers send Sec-Fetch-Site on every
 * request and Origin on every POST; a forged cross-site form or fetch cannot hide either.
 * Clients that send neither (curl from a host cron) are not browsers and carry no ambient
 * cookies, so they pass and are judged by their credentials alone.
 */
export function crossSiteReason(request: Request): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") {
    return `Sec-Fetch-Site is ${fetchSite}`;
  }
  const origin = request.headers.get("origin");
  if (origin) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin ${origin} is not a URL`;
    }
    const allowed = new Set<string>();
    const host = request.headers.get("host");
    if (host) allowed.add(host);
    const publicBaseUrl = getConfig().publicBaseUrl;
    if (publicBaseUrl) allowed.add(new URL(publicBaseUrl).host);
    if (!allowed.has(originHost)) return `Origin ${origin} is not this console`;
  }
  return null;
}

export type GuardedContext = { actor: Actor; origin: RequestOrigin };

type GuardOptions = {
  /** Called when a signed-in user lacks the role or the request is cross-site (for auditing). */
  onDenied?: (reason: string, origin: RequestOrigin, actor: Actor | undefined) => Promise<void>;
};

/**
 * Wraps a route handler: refuses cross-site writes (403), requires a signed-in user with at least
 * `minimum` (401/403 via requireRole), and turns unexpected errors into a 500 of the same shape.
 */
export function guardedRoute<P>(
  minimum: Role,
  handler: (request: Request, context: GuardedContext, params: P) => Promise<Response>,
  options: GuardOptions = {},
) {
  return async (request: Request, routeContext: { params: Promise<P> }): Promise<Response> => {
    const origin = requestOrigin(request);
    const crossSite = crossSiteReason(request);
    if (crossSite) {
      await options.onDenied?.(`cross-site request refused: ${crossSite}`, origin, undefined);
      return jsonError(403, "cross_site", `Cross-site request refused (${crossSite}).`);
    }
    let actor: Actor;
    try {
      actor = await requireRole(minimum);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.status === 403) await options.onDenied?.(error.message, origin, error.actor);
      return jsonError(error.status, error.code, error.message);
    }
    try {
      return await handler(request, { actor, origin }, await routeContext.params);
    } catch (error) {
      console.error(`[opstage] ${request.method} ${new URL(request.url).pathname} failed:`, error);
      return jsonError(500, "internal", "The server could not complete the request; see its log.");
    }
  };
}
