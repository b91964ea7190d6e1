"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";
import { EmptyRow } from "../../empty-row";
import { ScrollRegion } from "../../scroll-region";
import { formatInZone } from "@/lib/time-format";

type TokenRow = {
  id: string;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  status: "active" | "expired" | "revoked";
};

// UTC, named: the same text on the server render and in every browser.
const when = (iso: string | null) => (iso ? formatInZone(iso, "UTC") : "—");

export function TokensPanel() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: () => apiRequest<TokenRow[]>("/api/admin/tokens") });
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const { setNotice, fail } = useNotice("tokens-message");
  const { confirm, dialog } = useConfirm();
  // Cleared only once the server took it: a refusal leaves what was typed.
  const form = useRef<HTMLFormElement>(null);
  const create = useMutation({
    mutationFn: (input: { name: string; expiresInDays: number | null }) =>
      apiRequest<{ name: string; token: string }>("/api/admin/tokens", { method: "POST", body: JSON.stringify(input) }),
    onSuccess: (result) => {
      form.current?.reset();
      setNotice(null);
      setCreated(result);
      void queryClient.invalidateQueries({ queryKey: ["tokens"] });
    },
    onError: fail,
  });
  const revoke = useMutation({
    mutationFn: (token: TokenRow) => apiRequest(`/api/admin/tokens/${token.id}`, { method: "DELETE" }),
    onSuccess: (_result, token) => {
      setNotice({ tone: "success", text: `Revoked “${token.name}”.` });
      void queryClient.invalidateQueries({ queryKey: ["tokens"] });
    },
    onError: fail,
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const fields = new FormData(event.currentTarget);
    const days = String(fields.get("expiresInDays") ?? "").trim();
    create.mutate({ name: String(fields.get("name") ?? ""), expiresInDays: days ? Number(days) : null });
  }

  return (
    <div className="space-y-6">
      {dialog}
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">New token</h2>
        <form ref={form} onSubmit={onSubmit} className="flex flex-wrap items-end gap-3">
          <label className="block text-sm">
            <span className="text-slate-600">Name</span>
            <input
              name="name"
              required
              maxLength={100}
              placeholder="host cron backup"
              className="mt-1 block w-64 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Expires in days (empty = never)</span>
            <input
              name="expiresInDays"
              type="number"
              min={1}
              max={3650}
              className="mt-1 block w-40 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            />
          </label>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
          >
            Create token
          </button>
        </form>
        {created && (
          <div className="mt-4 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm">
            <p className="font-medium">Copy the token “{created.name}” now: it is shown only once.</p>
            <code
              data-testid="new-token"
              className="mt-2 block break-all rounded bg-white px-2 py-1.5 font-mono text-xs"
            >
              {created.token}
            </code>
            <button type="button" onClick={() => setCreated(null)} className="mt-2 text-xs text-slate-600 underline">
              I have copied it
            </button>
          </div>
        )}
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Tokens</h2>
        <ScrollRegion label="API tokens">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-2 pr-3 font-medium">Name</th>
                <th className="py-2 pr-3 font-medium">Token</th>
                <th className="py-2 pr-3 font-medium">Created by</th>
                <th className="py-2 pr-3 font-medium">Created</th>
                <th className="py-2 pr-3 font-medium">Last used</th>
                <th className="py-2 pr-3 font-medium">Expires</th>
                <th className="py-2 pr-3 font-medium">Status</th>
                <th className="py-2 font-medium" />
              </tr>
            </thead>
            <tbody>
              {(tokens.data ?? []).map((token) => (
                <tr key={token.id} data-testid="token-row" className="border-t border-slate-100">
                  <td className="py-2 pr-3">{token.name}</td>
                  <td className="py-2 pr-3 font-mono text-xs">{token.prefix}…</td>
                  <td className="py-2 pr-3">{token.createdBy}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{when(token.createdAt)}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{when(token.lastUsedAt)}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{token.expiresAt ? when(token.expiresAt) : "never"}</td>
                  <td className="py-2 pr-3" data-testid="token-status">
                    {token.status}
                  </td>
                  <td className="py-2">
                    {token.status === "active" && (
                      <button
                        type="button"
                        className="rounded-md border border-slate-300 px-2.5 py-1 text-xs text-red-700 hover:bg-slate-50"
                        onClick={() =>
                          confirm({
                            title: `Revoke the token “${token.name}”?`,
                            detail: "Scripts using it stop working at once. This cannot be undone.",
                            action: "Revoke token",
                            onConfirm: () => revoke.mutate(token),
                          })
                        }
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
              {tokens.data?.length === 0 && <EmptyRow columns={8}>No tokens.</EmptyRow>}
            </tbody>
          </table>
        </ScrollRegion>
      </section>
    </div>
  );
}
