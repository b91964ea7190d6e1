// Who made a request, and the refusal the guard raises: kept apart from the guard itself, which
// loads next-auth and next/headers, so that code run at start (audit retention, user admin) can
// name an actor or raise AuthError without loading either.
import type { AuditActor } from "../audit/record";
import { KnownError } from "../errors";
import type { User } from "../generated/prisma/client";

export type Actor = {
  user: Pick<User, "id" | "username" | "displayName" | "role">;
  /** Set when the request authenticated with an API token rather than a session. */
  token?: { id: string; name: string };
  /** The caller's session (a Session row's id) when it signed in with the session cookie. */
  session?: { id: string; twoFactorEnabled: boolean };
};

export class AuthError extends KnownError {
  constructor(
    readonly status: 401 | 403,
    override readonly code: "unauthenticated" | "invalid_token" | "forbidden" | "two_factor_enrolment_required",
    message: string,
    readonly actor?: Actor,
  ) {
    super(status === 401 ? "unauthenticated" : "forbidden", code, message);
    this.name = "AuthError";
  }
}

/** How to name the caller in logs and labels: "alice", or "token nightly (alice)". */
export function actorLabelOf(actor: Actor): string {
  return actor.token ? `token ${actor.token.name} (${actor.user.username})` : actor.user.username;
}

/** Who to name in the audit trail: the token for token requests, else the user. */
export function auditActorOf(actor: Actor | undefined): AuditActor {
  if (actor?.token) return { type: "TOKEN", id: actor.token.id };
  return { type: "USER", id: actor?.user.id ?? null };
}
