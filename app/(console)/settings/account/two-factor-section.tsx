"use client";
// My account → Two-factor sign-in: set it up, renew the recovery codes, or turn it off (the
// current password for either; off is refused while OPSTAGE_REQUIRE_2FA asks it of the role).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { RecoveryCodes, TwoFactorEnrolment } from "../../two-factor-enrolment";
import { formatInZone } from "@/lib/time-format";

type Status = { enabled: boolean; enabledAt: string | null; recoveryCodesLeft: number; required: boolean };

const smallButton = "rounded-md border border-slate-300 px-2.5 py-1 text-sm hover:bg-slate-50 disabled:opacity-60";

export function TwoFactorSection() {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ["two-factor"], queryFn: () => apiRequest<Status>("/api/account/two-factor") });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["two-factor"] });
  const [codes, setCodes] = useState<string[] | null>(null);
  const renew = useMutation({
    mutationFn: (password: string) =>
      apiRequest<{ recoveryCodes: string[] }>("/api/account/two-factor/recovery-codes", {
        method: "POST",
        body: JSON.stringify({ password }),
      }),
    onSuccess: (result) => {
      form.current?.reset();
      setCodes(result.recoveryCodes);
    },
  });
  const turnOff = useMutation({
    mutationFn: (password: string) =>
      apiRequest("/api/account/two-factor", { method: "DELETE", body: JSON.stringify({ password }) }),
    onSuccess: () => {
      form.current?.reset();
      void refresh();
    },
  });
  const { confirm, dialog } = useConfirm();
  // Cleared only once the server took the password: a refusal leaves it, to correct.
  const form = useRef<HTMLFormElement>(null);

  // One password field, two buttons: the one pressed says what to do.
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const action = (event.nativeEvent as SubmitEvent).submitter?.getAttribute("value");
    const password = String(new FormData(event.currentTarget).get("password") ?? "");
    if (action === "off") {
      confirm({
        title: "Turn two-factor sign-in off?",
        detail: "The password alone will sign in as you.",
        action: "Turn off",
        onConfirm: () => turnOff.mutate(password),
      });
    } else {
      renew.mutate(password);
    }
  }

  const data = status.data;
  const failure = renew.error ?? turnOff.error;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="two-factor-heading">
      {dialog}
      <h2 id="two-factor-heading" className="mb-1 text-lg font-medium">
        Two-factor sign-in
      </h2>
      {data && !data.enabled && (
        <>
          <p className="mb-3 text-sm text-slate-500">
            After the password, sign-in asks for a code from an authenticator app (TOTP), or a recovery code.
          </p>
          <TwoFactorEnrolment onEnabled={() => void refresh()} />
        </>
      )}
      {data?.enabled && (
        <div className="space-y-3">
          <p className="text-sm" data-testid="two-factor-status">
            On since {data.enabledAt ? formatInZone(data.enabledAt, "UTC") : "—"}. {data.recoveryCodesLeft} of 10
            recovery codes left.
            {data.required && " Required for your role on this console."}
          </p>
          {codes ? (
            <RecoveryCodes codes={codes} onSaved={() => setCodes(null)} />
          ) : (
            <form
              ref={form}
              onSubmit={onSubmit}
              className="flex flex-wrap items-end gap-3"
              aria-label="Change two-factor sign-in"
            >
              <label className="block text-sm">
                <span className="text-slate-600">Current password</span>
                <input
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  className="mt-1 block w-60 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                />
              </label>
              <button type="submit" value="renew" disabled={renew.isPending} className={smallButton}>
                New recovery codes
              </button>
              {!data.required && (
                <button
                  type="submit"
                  value="off"
                  disabled={turnOff.isPending}
                  className={`${smallButton} text-red-700`}
                >
                  Turn off
                </button>
              )}
            </form>
          )}
        </div>
      )}
      {failure && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {failure.message}
        </p>
      )}
      {status.isError && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {status.error.message}
        </p>
      )}
    </section>
  );
}
