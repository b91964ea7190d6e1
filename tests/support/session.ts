// Signs in through next-auth's real endpoints (CSRF token, then the credentials callback), the
// way the login form does, and returns the Cookie header for later requests.
function cookiesFrom(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(";")[0]!);
}

export type SignInOptions = {
  headers?: Record<string, string>;
  /** The second factor: a TOTP code or a recovery code, typed after the password. */
  code?: string;
};

/**
 * One sign-in attempt: the session cookie, or the refusal next-auth passes on to the login form
 * ("CredentialsSignin" for a wrong password; "second_factor_required" and the like from the
 * code step, see lib/auth/options.ts).
 */
export async function attemptSignIn(
  baseUrl: string,
  username: string,
  password: string,
  { headers = {}, code }: SignInOptions = {},
): Promise<{ cookie: string | null; error: string | null }> {
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`, { headers });
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const csrfCookies = cookiesFrom(csrfResponse);
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded", Cookie: csrfCookies.join("; ") },
    body: new URLSearchParams({ csrfToken, username, password, json: "true", ...(code ? { code } : {}) }),
  });
  const cookie = cookiesFrom(response).find((c) => c.includes("session-token=")) ?? null;
  const body = (await response.json().catch(() => null)) as { url?: string } | null;
  const error = body?.url ? new URL(body.url, baseUrl).searchParams.get("error") : null;
  return { cookie, error: cookie ? null : (error ?? `HTTP ${response.status}`) };
}

export async function signIn(
  baseUrl: string,
  username: string,
  password: string,
  options: SignInOptions = {},
): Promise<string> {
  const { cookie, error } = await attemptSignIn(baseUrl, username, password, options);
  if (!cookie) throw new Error(`sign-in as ${username} failed: ${error}`);
  return cookie;
}

/** next-auth's own sign-out, as the console's button does it (CSRF token, then POST). */
export async function signOut(baseUrl: string, cookie: string): Promise<void> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`, { headers: { Cookie: cookie } });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await fetch(`${baseUrl}/api/auth/signout`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: [cookie, ...cookiesFrom(csrf)].join("; "),
    },
    body: new URLSearchParams({ csrfToken, json: "true" }),
  });
  await response.arrayBuffer();
  if (response.status >= 400) throw new Error(`sign-out answered ${response.status}`);
}
