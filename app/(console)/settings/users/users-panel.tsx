"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";
import { EmptyRow } from "../../empty-row";
import { ScrollRegion } from "../../scroll-region";
import { SessionList } from "../../session-list";
import { formatInZone } from "@/lib/time-format";

type Role = "owner" | "operator" | "viewer";
type Status = "ACTIVE" | "DISABLED";
type UserRow = {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  status: Status;
  lastLoginAt: string | null;
  createdAt: string;
};

const ROLES: Role[] = ["owner", "operator", "viewer"];
const ARTICLE: Record<Role, string> = { owner: "an", operator: "an", viewer: "a" };
const ROLE_WORDS: Record<Role, string> = {
  owner: "An owner manages everything: users, restores, downloads, API tokens.",
  operator: "An operator backs up and verifies; nothing that hands out or replaces data.",
  viewer: "A viewer only reads.",
};
// UTC, named: the same text on the server render and in every browser.
const when = (iso: string | null) => (iso ? formatInZone(iso, "UTC") : "never");
const inputClass = "mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm";
const smallButton = "rounded-md border border-slate-300 px-2.5 py-1 text-xs hover:bg-slate-50";

export function UsersPanel({ currentUserId }: { currentUserId: string }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [search, setSearch] = useState("");
  const [role, setRole] = useState("");
  const [status, setStatus] = useState("");
  const [secret, setSecret] = useState<{ username: string; password: string } | null>(null);
  const { setNotice, fail } = useNotice("users-message");
  const { confirm, dialog } = useConfirm();
  // Cleared only once the server took it: a refusal leaves what was typed, to correct.
  const newUserForm = useRef<HTMLFormElement>(null);
  const [sessionsOf, setSessionsOf] = useState<UserRow | null>(null);

  const query = new URLSearchParams();
  if (search.trim()) query.set("search", search.trim());
  if (role) query.set("role", role);
  if (status) query.set("status", status);
  const users = useQuery({
    queryKey: ["users", query.toString()],
    queryFn: () => apiRequest<UserRow[]>(`/api/admin/users?${query}`),
  });

  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });
  const onError = fail;

  const create = useMutation({
    mutationFn: (input: { username: string; displayName: string; role: Role; password: string | null }) =>
      apiRequest<{ user: UserRow; generatedPassword: string | null }>("/api/admin/users", {
        method: "POST",
        body: JSON.stringify(input),
      }),
    onSuccess: (result) => {
      newUserForm.current?.reset();
      setNotice({ tone: "success", text: `Created ${result.user.username} (${result.user.role}).` });
      setSecret(
        result.generatedPassword ? { username: result.user.username, password: result.generatedPassword } : null,
      );
      void refresh();
    },
    onError,
  });
  const update = useMutation({
    mutationFn: ({ id, change }: { id: string; change: { role: Role } | { status: Status } }) =>
      apiRequest<UserRow>(`/api/admin/users/${id}`, { method: "PATCH", body: JSON.stringify(change) }),
    onSuccess: (user) => {
      setNotice({
        tone: "success",
        text: `${user.username} is now ${user.status === "ACTIVE" ? "an active" : "a disabled"} ${user.role}.`,
      });
      void refresh();
    },
    onError: (failure: Error) => {
      fail(failure);
      void refresh();
    },
  });
  const reset = useMutation({
    mutationFn: (user: UserRow) =>
      apiRequest<{ user: UserRow; generatedPassword: string }>(`/api/admin/users/${user.id}/password`, {
        method: "POST",
        body: JSON.stringify({ password: null }),
      }),
    onSuccess: (result) => {
      setNotice({ tone: "success", text: `Reset the password of ${result.user.username}; their sessions ended.` });
      setSecret({ username: result.user.username, password: result.generatedPassword });
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (user: UserRow) => apiRequest(`/api/admin/users/${user.id}`, { method: "DELETE" }),
    onSuccess: (_result, user) => {
      setNotice({ tone: "success", text: `Deleted ${user.username}.` });
      void refresh();
    },
    onError,
  });

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    create.mutate({
      username: String(form.get("username") ?? ""),
      displayName: String(form.get("displayName") ?? ""),
      role: String(form.get("role")) as Role,
      password: password || null,
    });
  }

  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">New user</h2>
        <form ref={newUserForm} onSubmit={onCreate} className="flex flex-wrap items-end gap-3" aria-label="New user">
          <label className="block text-sm">
            <span className="text-slate-600">Username</span>
            <input name="username" required minLength={3} maxLength={64} className={`${inputClass} w-40`} />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Display name</span>
            <input name="displayName" maxLength={100} className={`${inputClass} w-44`} />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Role</span>
            <select name="role" defaultValue="viewer" className={inputClass}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Initial password (empty = generate)</span>
            <input name="password" type="password" autoComplete="new-password" className={`${inputClass} w-56`} />
          </label>
          <button
            type="submit"
            disabled={create.isPending}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
          >
            Create user
          </button>
        </form>
        {secret && (
          <div className="mt-4 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm">
            <p className="font-medium">Password for {secret.username}: copy it now, it is shown only once.</p>
            <code
              data-testid="generated-password"
              className="mt-2 block break-all rounded bg-white px-2 py-1.5 font-mono text-xs"
            >
              {secret.password}
            </code>
            <button type="button" onClick={() => setSecret(null)} className="mt-2 text-xs text-slate-600 underline">
              I have copied it
            </button>
          </div>
        )}
      </section>

      {dialog}

      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <div className="mb-3 flex flex-wrap items-end gap-3">
          <h2 className="mr-auto text-lg font-medium">Users</h2>
          <label className="block text-sm">
            <span className="text-slate-600">Search</span>
            <input
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="name"
              className={`${inputClass} w-40`}
            />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Role filter</span>
            <select value={role} onChange={(e) => setRole(e.target.value)} className={inputClass}>
              <option value="">any</option>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Status filter</span>
            <select value={status} onChange={(e) => setStatus(e.target.value)} className={inputClass}>
              <option value="">any</option>
              <option value="ACTIVE">active</option>
              <option value="DISABLED">disabled</option>
            </select>
          </label>
        </div>
        <ScrollRegion label="Users">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-2 pr-3 font-medium">Username</th>
                <th className="py-2 pr-3 font-medium">Display name</th>
                <th className="py-2 pr-3 font-medium">Role</th>
                <th className="py-2 pr-3 font-medium">Status</th>
                <th className="py-2 pr-3 font-medium">Last sign-in</th>
                <th className="py-2 font-medium" />
              </tr>
            </thead>
            <tbody>
              {(users.data ?? []).map((user) => (
                <tr
                  key={user.id}
                  data-testid="user-row"
                  data-username={user.username}
                  className="border-t border-slate-100"
                >
                  <td className="py-2 pr-3 font-mono text-xs">
                    {user.username}
                    {user.id === currentUserId && <span className="ml-1 text-slate-500">(you)</span>}
                  </td>
                  <td className="py-2 pr-3">{user.displayName}</td>
                  <td className="py-2 pr-3">
                    <select
                      aria-label={`Role of ${user.username}`}
                      value={user.role}
                      onChange={(e) => {
                        const next = e.target.value as Role;
                        confirm({
                          title: `Make ${user.username} ${ARTICLE[next]} ${next}?`,
                          detail: ROLE_WORDS[next],
                          action: `Make ${next}`,
                          onConfirm: () => update.mutate({ id: user.id, change: { role: next } }),
                        });
                      }}
                      className="rounded-md border border-slate-300 px-1.5 py-0.5 text-xs"
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="py-2 pr-3" data-testid="user-status">
                    {user.status === "ACTIVE" ? "active" : "disabled"}
                  </td>
                  <td className="py-2 pr-3 whitespace-nowrap">{when(user.lastLoginAt)}</td>
                  <td className="space-x-1 py-2 whitespace-nowrap">
                    <button
                      type="button"
                      className={smallButton}
                      aria-expanded={sessionsOf?.id === user.id}
                      aria-controls="user-sessions"
                      onClick={() => setSessionsOf(sessionsOf?.id === user.id ? null : user)}
                    >
                      Sessions
                    </button>
                    <button
                      type="button"
                      className={smallButton}
                      onClick={() =>
                        confirm(
                          user.status === "ACTIVE"
                            ? {
                                title: `Disable ${user.username}?`,
                                detail:
                                  "They cannot sign in, their sessions end at once, and API tokens they made stop working.",
                                action: "Disable",
                                onConfirm: () => update.mutate({ id: user.id, change: { status: "DISABLED" } }),
                              }
                            : {
                                title: `Enable ${user.username}?`,
                                detail: `They can sign in again as ${ARTICLE[user.role]} ${user.role}.`,
                                action: "Enable",
                                destructive: false,
                                onConfirm: () => update.mutate({ id: user.id, change: { status: "ACTIVE" } }),
                              },
                        )
                      }
                    >
                      {user.status === "ACTIVE" ? "Disable" : "Enable"}
                    </button>
                    <button
                      type="button"
                      className={smallButton}
                      onClick={() =>
                        confirm({
                          title: `Reset the password of ${user.username}?`,
                          detail: "A new password is generated and shown once; their sessions end at once.",
                          action: "Reset password",
                          onConfirm: () => reset.mutate(user),
                        })
                      }
                    >
                      Reset password
                    </button>
                    <button
                      type="button"
                      className={`${smallButton} text-red-700`}
                      onClick={() =>
                        confirm({
                          title: `Delete user ${user.username}?`,
                          detail: "This cannot be undone. A user with audit history can only be disabled.",
                          action: "Delete user",
                          onConfirm: () => remove.mutate(user),
                        })
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
              {users.data?.length === 0 && <EmptyRow columns={6}>No users match.</EmptyRow>}
            </tbody>
          </table>
        </ScrollRegion>
        {users.isError && <p className="mt-3 text-sm text-red-700">{users.error.message}</p>}
      </section>

      {sessionsOf && (
        <section
          id="user-sessions"
          aria-labelledby="user-sessions-heading"
          className="rounded-lg border border-slate-200 bg-white p-6"
        >
          <div className="mb-3 flex flex-wrap items-baseline gap-3">
            <h2 id="user-sessions-heading" className="mr-auto text-lg font-medium">
              Sessions of <span className="font-mono">{sessionsOf.username}</span>
            </h2>
            <button type="button" className={smallButton} onClick={() => setSessionsOf(null)}>
              Close
            </button>
          </div>
          <SessionList
            key={sessionsOf.id}
            listUrl={`/api/admin/users/${sessionsOf.id}/sessions`}
            label={`Sessions of ${sessionsOf.username}`}
            endAll={{
              label: "End all",
              url: `/api/admin/users/${sessionsOf.id}/sessions`,
              method: "DELETE",
              confirm: `End every session of ${sessionsOf.username}?`,
            }}
            onEndedCurrent={() => router.push("/login")}
          />
        </section>
      )}
    </div>
  );
}
