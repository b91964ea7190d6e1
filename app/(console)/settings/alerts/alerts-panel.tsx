"use client";
// Settings → Alerts (owners): the channels, "Send test", enable/disable and delete, and a form to
// add a webhook or an SMTP channel. Secrets are sent once and never shown again.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { PublicChannel } from "@/lib/alerts/channels";
import { apiRequest } from "../../api-client";
import { useConfirm } from "../../confirm-dialog";
import { useNotice } from "../../notice";
import { EmptyRow } from "../../empty-row";

const input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
const button =
  "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50";

type AlertsList = { channels: PublicChannel[]; events: { type: string; label: string }[] };

function destination(channel: PublicChannel): string {
  if (channel.type === "webhook") return `${channel.config.preset}: ${channel.config.url}`;
  return `${channel.config.host}:${channel.config.port} → ${channel.config.to.join(", ")}`;
}

function AddChannelForm({ events }: { events: AlertsList["events"] }) {
  const queryClient = useQueryClient();
  const [type, setType] = useState<"webhook" | "email">("webhook");
  const [form, setForm] = useState({
    name: "",
    url: "",
    preset: "generic",
    host: "",
    port: "587",
    security: "starttls",
    username: "",
    from: "",
    to: "",
    secret: "",
  });
  const [chosen, setChosen] = useState<string[]>(events.map((event) => event.type));
  const { setNotice, fail } = useNotice("alerts-message");
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [field]: event.target.value });
  const add = useMutation({
    mutationFn: () =>
      apiRequest<PublicChannel>("/api/admin/alerts", {
        method: "POST",
        body: JSON.stringify({
          type,
          name: form.name,
          enabled: true,
          events: chosen,
          config:
            type === "webhook"
              ? { url: form.url.trim(), preset: form.preset }
              : {
                  host: form.host.trim(),
                  port: Number(form.port),
                  security: form.security,
                  username: form.username.trim(),
                  from: form.from.trim(),
                  to: form.to
                    .split(",")
                    .map((address) => address.trim())
                    .filter(Boolean),
                },
          secret: form.secret || null,
        }),
      }),
    onSuccess: (channel) => {
      setNotice({ tone: "success", text: `Added ${channel.name}. Send a test to check it.` });
      setForm({ ...form, name: "", secret: "" });
      void queryClient.invalidateQueries({ queryKey: ["alerts"] });
    },
    onError: fail,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form onSubmit={onSubmit} className="space-y-3 text-sm">
      <div className="grid gap-3 sm:grid-cols-3">
        <label className="block">
          <span className="text-slate-600">Type</span>
          <select
            className={input}
            value={type}
            onChange={(event) => setType(event.target.value as "webhook" | "email")}
          >
            <option value="webhook">Webhook</option>
            <option value="email">Email (SMTP)</option>
          </select>
        </label>
        <label className="block sm:col-span-2">
          <span className="text-slate-600">Name</span>
          <input className={input} value={form.name} onChange={set("name")} placeholder="ops team" />
        </label>
      </div>
      {type === "webhook" ? (
        <div className="grid gap-3 sm:grid-cols-3">
          <label className="block sm:col-span-2">
            <span className="text-slate-600">Webhook URL</span>
            <input className={input} value={form.url} onChange={set("url")} placeholder="https://…" />
          </label>
          <label className="block">
            <span className="text-slate-600">Payload</span>
            <select className={input} value={form.preset} onChange={set("preset")}>
              <option value="generic">Generic JSON</option>
              <option value="slack">Slack-compatible</option>
              <option value="ntfy">ntfy (topic URL)</option>
            </select>
          </label>
          <label className="block sm:col-span-3">
            <span className="text-slate-600">Signing key (optional; HMAC-SHA256 in X-Opstage-Signature)</span>
            <input className={input} type="password" value={form.secret} onChange={set("secret")} autoComplete="off" />
          </label>
        </div>
      ) : (
        <div className="grid gap-3 sm:grid-cols-3">
          <label className="block">
            <span className="text-slate-600">SMTP host</span>
            <input className={input} value={form.host} onChange={set("host")} placeholder="smtp.example.com" />
          </label>
          <label className="block">
            <span className="text-slate-600">Port</span>
            <input className={input} type="number" value={form.port} onChange={set("port")} />
          </label>
          <label className="block">
            <span className="text-slate-600">Security</span>
            <select className={input} value={form.security} onChange={set("security")}>
              <option value="starttls">STARTTLS</option>
              <option value="tls">TLS</option>
              <option value="none">None</option>
            </select>
          </label>
          <label className="block">
            <span className="text-slate-600">Username (optional)</span>
            <input className={input} value={form.username} onChange={set("username")} autoComplete="off" />
          </label>
          <label className="block">
            <span className="text-slate-600">Password</span>
            <input className={input} type="password" value={form.secret} onChange={set("secret")} autoComplete="off" />
          </label>
          <label className="block">
            <span className="text-slate-600">From</span>
            <input className={input} value={form.from} onChange={set("from")} placeholder="opstage@example.com" />
          </label>
          <label className="block sm:col-span-3">
            <span className="text-slate-600">To (comma-separated)</span>
            <input className={input} value={form.to} onChange={set("to")} placeholder="ops@example.com" />
          </label>
        </div>
      )}
      <fieldset>
        <legend className="text-slate-600">Events</legend>
        <div className="mt-1 grid gap-1 sm:grid-cols-2">
          {events.map((event) => (
            <label key={event.type} className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={chosen.includes(event.type)}
                onChange={(change) =>
                  setChosen(
                    change.target.checked ? [...chosen, event.type] : chosen.filter((type) => type !== event.type),
                  )
                }
              />
              {event.label}
            </label>
          ))}
        </div>
      </fieldset>
      <button
        type="submit"
        disabled={add.isPending}
        className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
      >
        Add channel
      </button>
    </form>
  );
}

export function AlertsPanel() {
  const queryClient = useQueryClient();
  const { data, error } = useQuery({
    queryKey: ["alerts"],
    queryFn: () => apiRequest<AlertsList>("/api/admin/alerts"),
  });
  const { setNotice, fail: onError } = useNotice("alerts-message");
  const { confirm, dialog } = useConfirm();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["alerts"] });
  const test = useMutation({
    mutationFn: (channel: PublicChannel) =>
      apiRequest<{ ok: boolean; message: string }>(`/api/admin/alerts/${channel.id}/test`, { method: "POST" }),
    onSuccess: (result, channel) =>
      setNotice(
        result.ok
          ? { tone: "success", text: result.message }
          : { tone: "error", text: `Test through ${channel.name} failed: ${result.message}` },
      ),
    onError,
  });
  const toggle = useMutation({
    mutationFn: (channel: PublicChannel) =>
      apiRequest(`/api/admin/alerts/${channel.id}`, {
        method: "PUT",
        body: JSON.stringify({
          type: channel.type,
          name: channel.name,
          enabled: !channel.enabled,
          events: channel.events,
          config: channel.config,
        }),
      }),
    onSuccess: (_result, channel) => {
      setNotice({ tone: "success", text: `Turned ${channel.name} ${channel.enabled ? "off" : "on"}.` });
      void refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (channel: PublicChannel) => apiRequest(`/api/admin/alerts/${channel.id}`, { method: "DELETE" }),
    onSuccess: (_result, channel) => {
      setNotice({ tone: "success", text: `Deleted ${channel.name}.` });
      void refresh();
    },
    onError,
  });
  if (error) return <p className="text-sm text-red-700">{error.message}</p>;
  if (!data) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Channels</h2>
        {dialog}
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-left text-slate-500">
              <tr>
                <th className="py-2 pr-3 font-medium">Name</th>
                <th className="py-2 pr-3 font-medium">Destination</th>
                <th className="py-2 pr-3 font-medium">Events</th>
                <th className="py-2 pr-3 font-medium">Secret</th>
                <th className="py-2 font-medium">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.channels.map((channel) => (
                <tr key={channel.id} data-testid="alert-channel-row" className="border-t border-slate-100">
                  <td className="py-2 pr-3">
                    {channel.name}
                    {!channel.enabled && <span className="ml-2 text-xs text-slate-400">(off)</span>}
                  </td>
                  <td className="max-w-72 truncate py-2 pr-3 font-mono text-xs" title={destination(channel)}>
                    {destination(channel)}
                  </td>
                  <td className="py-2 pr-3">
                    {channel.events.length} of {data.events.length}
                  </td>
                  <td className="py-2 pr-3 text-xs">{channel.secretSet ? "set" : "—"}</td>
                  <td className="flex gap-2 py-2">
                    <button
                      type="button"
                      className={button}
                      disabled={test.isPending}
                      onClick={() => test.mutate(channel)}
                    >
                      Send test
                    </button>
                    <button type="button" className={button} onClick={() => toggle.mutate(channel)}>
                      {channel.enabled ? "Turn off" : "Turn on"}
                    </button>
                    <button
                      type="button"
                      className={`${button} text-red-700`}
                      onClick={() =>
                        confirm({
                          title: `Delete the alert channel ${channel.name}?`,
                          detail: "Nobody is told through it any more. This cannot be undone.",
                          action: "Delete channel",
                          onConfirm: () => remove.mutate(channel),
                        })
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
              {data.channels.length === 0 && <EmptyRow columns={5}>No channels yet: nobody is told.</EmptyRow>}
            </tbody>
          </table>
        </div>
      </section>
      <section className="rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-3 text-lg font-medium">Add a channel</h2>
        <AddChannelForm events={data.events} />
      </section>
    </div>
  );
}
