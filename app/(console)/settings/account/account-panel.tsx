"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, type FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";
import { SessionList } from "../../session-list";
import { TwoFactorSection } from "./two-factor-section";

const inputClass = "mt-1 block w-72 rounded-md border border-slate-300 px-2 py-1.5 text-sm";
const buttonClass =
  "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60";

export function AccountPanel({ displayName }: { displayName: string }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const { setNotice, fail } = useNotice("account-notice");
  const { confirm, dialog } = useConfirm();
  // Cleared only once the server took the change: a refusal leaves what was typed.
  const passwordForm = useRef<HTMLFormElement>(null);

  const rename = useMutation({
    mutationFn: (name: string) =>
      apiRequest("/api/account", { method: "PATCH", body: JSON.stringify({ displayName: name }) }),
    onSuccess: () => {
      setNotice({ tone: "success", text: "Display name saved." });
      router.refresh();
    },
    onError: fail,
  });
  const changePassword = useMutation({
    mutationFn: (input: { currentPassword: string; newPassword: string }) =>
      apiRequest("/api/account/password", { method: "POST", body: JSON.stringify(input) }),
    onSuccess: () => {
      passwordForm.current?.reset();
      setNotice({ tone: "success", text: "Password changed. Your other sessions have been signed out." });
      void queryClient.invalidateQueries({ queryKey: ["sessions"] });
    },
    onError: fail,
  });
  const everywhere = useMutation({
    mutationFn: () => apiRequest("/api/account/sign-out-everywhere", { method: "POST" }),
    onSuccess: () => window.location.assign("/login"),
    onError: fail,
  });

  function onRename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rename.mutate(String(new FormData(event.currentTarget).get("displayName") ?? ""));
  }

  function onPassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const newPassword = String(form.get("newPassword") ?? "");
    if (newPassword !== String(form.get("confirmPassword") ?? "")) {
      setNotice({ tone: "error", text: "The two new passwords differ; type them again." });
      return;
    }
    changePassword.mutate({ currentPassword: String(form.get("currentPassword") ?? ""), newPassword });
  }

  return (
    <div className="space-y-6">
      {dialog}
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Display name</h2>
        <form onSubmit={onRename} className="flex flex-wrap items-end gap-3">
          <label className="block text-sm">
            <span className="text-slate-600">Display name</span>
            <input name="displayName" defaultValue={displayName} required maxLength={100} className={inputClass} />
          </label>
          <button type="submit" disabled={rename.isPending} className={buttonClass}>
            Save name
          </button>
        </form>
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-1 text-lg font-medium">Password</h2>
        <p className="mb-3 text-sm text-slate-500">
          At least 12 characters. Changing it signs out your other sessions.
        </p>
        <form ref={passwordForm} onSubmit={onPassword} className="space-y-3">
          <label className="block text-sm">
            <span className="text-slate-600">Current password</span>
            <input
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
              className={inputClass}
            />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">New password</span>
            <input
              name="newPassword"
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
            />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">New password again</span>
            <input
              name="confirmPassword"
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
            />
          </label>
          <button type="submit" disabled={changePassword.isPending} className={buttonClass}>
            Change password
          </button>
        </form>
      </section>

      <TwoFactorSection />

      <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="mb-1 text-lg font-medium">
          Sessions
        </h2>
        <p className="mb-3 text-sm text-slate-500">
          Every browser signed in as you. Ending one signs that browser out at its next request.
        </p>
        <SessionList
          listUrl="/api/account/sessions"
          label="Your sessions"
          endAll={{
            label: "End all others",
            url: "/api/account/sessions/end-others",
            method: "POST",
            confirm: "End every session but this one?",
          }}
          onEndedCurrent={() => router.push("/login")}
        />
        <div className="mt-6 border-t border-slate-100 pt-4">
          <p className="mb-3 text-sm text-slate-500">Signs out every browser signed in as you, this one included.</p>
          <button
            type="button"
            onClick={() =>
              confirm({
                title: "Sign out everywhere?",
                detail: "Every browser signed in as you is signed out, this one included.",
                action: "Sign out everywhere",
                onConfirm: () => everywhere.mutate(),
              })
            }
            disabled={everywhere.isPending}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm text-red-700 hover:bg-slate-50"
          >
            Sign out everywhere
          </button>
        </div>
      </section>
    </div>
  );
}
