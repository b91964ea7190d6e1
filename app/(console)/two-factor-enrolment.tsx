"use client";
// Setting up a second factor: a new secret as a QR code and as text for the authenticator app,
// a current code from the app to confirm it, then the ten recovery codes, shown this once. Used
// on My account and on the enrolment page a user is sent to when OPSTAGE_REQUIRE_2FA asks it.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiRequest } from "./api-client";

type Enrolment = { secret: string; uri: string; qrCode: string };

const buttonClass =
  "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60";

export function RecoveryCodes({ codes, onSaved }: { codes: string[]; onSaved: () => void }) {
  return (
    <div className="space-y-3 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
      <p className="font-medium">
        Your recovery codes: save them now (a password manager, or on paper). They are shown only this once; each signs
        in once when your authenticator is not at hand.
      </p>
      <ul data-testid="recovery-codes" className="grid grid-cols-2 gap-1 font-mono text-sm">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <button type="button" onClick={onSaved} className={buttonClass}>
        I have saved them
      </button>
    </div>
  );
}

export function TwoFactorEnrolment({ onEnabled }: { onEnabled: () => void }) {
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const start = useMutation({
    mutationFn: () => apiRequest<Enrolment>("/api/account/two-factor/enrolment", { method: "POST" }),
    onSuccess: setEnrolment,
  });
  const confirm = useMutation({
    mutationFn: (code: string) =>
      apiRequest<{ recoveryCodes: string[] }>("/api/account/two-factor/enable", {
        method: "POST",
        body: JSON.stringify({ code }),
      }),
    onSuccess: (result) => setCodes(result.recoveryCodes),
  });

  function onConfirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    confirm.mutate(String(new FormData(event.currentTarget).get("code") ?? "").trim());
  }

  if (codes) return <RecoveryCodes codes={codes} onSaved={onEnabled} />;
  if (!enrolment) {
    return (
      <div className="space-y-3">
        <button type="button" onClick={() => start.mutate()} disabled={start.isPending} className={buttonClass}>
          Set up two-factor sign-in
        </button>
        {start.isError && (
          <p role="alert" className="text-sm text-red-700">
            {start.error.message}
          </p>
        )}
      </div>
    );
  }
  return (
    <div className="space-y-4">
      <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700">
        <li>Scan the QR code with an authenticator app (or type the key below into it).</li>
        <li>Type the 6-digit code the app shows now.</li>
      </ol>
      <div className="flex flex-wrap items-start gap-4">
        {/* A data: URL made on the server (qrcode): next/image has nothing to optimise here. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img
          src={enrolment.qrCode}
          alt="QR code of the authenticator key"
          width={240}
          height={240}
          className="rounded-md border border-slate-200 bg-white"
        />
        <div className="min-w-0 space-y-1 text-sm">
          <p className="text-slate-600">Key (type it in if you cannot scan):</p>
          <code data-testid="totp-secret" className="block font-mono text-sm break-all">
            {enrolment.secret.match(/.{1,4}/g)?.join(" ")}
          </code>
        </div>
      </div>
      <form onSubmit={onConfirm} className="flex flex-wrap items-end gap-3" aria-label="Confirm the authenticator">
        <label className="block text-sm">
          <span className="text-slate-600">Code from the app</span>
          <input
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            pattern="[0-9 ]{6,7}"
            maxLength={7}
            className="mt-1 block w-36 rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
          />
        </label>
        <button type="submit" disabled={confirm.isPending} className={buttonClass}>
          Turn on
        </button>
      </form>
      {confirm.isError && (
        <p role="alert" className="text-sm text-red-700">
          {confirm.error.message}
        </p>
      )}
    </div>
  );
}
