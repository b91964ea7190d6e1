"use client";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { formatInZone } from "@/lib/time-format";

const submitClass =
  "w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60";
const inputClass =
  "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500";

// What the server's refusals (lib/auth/options.ts) mean for the person at the form.
const CODE_ERRORS: Record<string, string> = {
  second_factor_invalid:
    "That code is not right, or was used already. Type the code your authenticator shows now, or a recovery code.",
  second_factor_throttled:
    "Too many wrong codes for this account: wait 15 minutes and try again, or use a recovery code later.",
};

/**
 * A spent sign-in budget ("throttled:900"): when to try again, in minutes and as a time in the
 * viewer's own zone. It says nothing about the username (the server throttles unknown ones alike).
 */
function throttledMessage(error: string): string | null {
  const match = /^throttled:(\d+)$/.exec(error);
  if (!match) return null;
  const seconds = Number(match[1]);
  const at = formatInZone(new Date(Date.now() + seconds * 1000), Intl.DateTimeFormat().resolvedOptions().timeZone);
  const wait = seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
  return `Too many sign-in attempts. Try again in ${wait} (at ${at}).`;
}

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // After a right password for an account with a second factor: the same credentials again, with a code.
  const [credentials, setCredentials] = useState<{ username: string; password: string } | null>(null);

  async function submit(username: string, password: string, code: string | null) {
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      username,
      password,
      ...(code ? { code } : {}),
      redirect: false,
    });
    if (result?.ok && !result.error) {
      // A full navigation, so every server component renders with the new session cookie.
      window.location.assign(next);
      return;
    }
    setPending(false);
    if (result?.error === "second_factor_required") {
      setCredentials({ username, password });
      return;
    }
    setError(
      CODE_ERRORS[result?.error ?? ""] ??
        throttledMessage(result?.error ?? "") ??
        "Wrong username or password, or the account is disabled.",
    );
    if (!result?.error?.startsWith("second_factor")) setCredentials(null);
  }

  function onPassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void submit(String(form.get("username") ?? ""), String(form.get("password") ?? ""), null);
  }

  function onCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code") ?? "").trim();
    if (credentials) void submit(credentials.username, credentials.password, code);
  }

  const errorLine = error && (
    <p role="alert" data-testid="login-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
      {error}
    </p>
  );

  if (credentials) {
    return (
      // Keyed apart from the password form: reusing its inputs would carry the typed password over.
      <form key="code" onSubmit={onCode} className="space-y-4" aria-label="Second factor">
        <p className="text-sm text-slate-600">
          <span className="font-mono">{credentials.username}</span> signs in with a second factor.
        </p>
        <label className="block">
          <span className="text-sm font-medium text-slate-700">Authentication code</span>
          <input
            name="code"
            autoComplete="one-time-code"
            required
            // The password form it replaces had the focus: move it here (autoFocus acts only on page load).
            ref={(input) => input?.focus()}
            maxLength={20}
            aria-describedby="code-help"
            className={inputClass}
          />
          <span id="code-help" className="mt-1 block text-xs text-slate-500">
            The 6 digits your authenticator app shows, or one of your recovery codes.
          </span>
        </label>
        {errorLine}
        <button type="submit" disabled={pending} className={submitClass}>
          {pending ? "Checking…" : "Verify"}
        </button>
        <button
          type="button"
          onClick={() => {
            setCredentials(null);
            setError(null);
          }}
          className="w-full text-sm text-slate-600 underline"
        >
          Start over
        </button>
      </form>
    );
  }

  return (
    <form key="password" onSubmit={onPassword} className="space-y-4">
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Username</span>
        <input name="username" autoComplete="username" required autoFocus className={inputClass} />
      </label>
      <label className="block">
        <span className="text-sm font-medium text-slate-700">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className={inputClass} />
      </label>
      {errorLine}
      <button type="submit" disabled={pending} className={submitClass}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
