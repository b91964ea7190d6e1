"use client";
// Settings → Backups → Offsite (owners): the S3 target (the secret can be replaced, never read
// back), "Test connection", and the copies in the bucket with "Fetch" — an encrypted copy asks
// for its age identity, sent with that one request and not kept by the page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { RemoteCopy } from "@/lib/offsite/remote";
import type { PublicOffsiteTarget } from "@/lib/offsite/target";
import { formatBytes } from "@/lib/format";
import { apiRequest } from "../../api-client";
import { useNotice } from "../../notice";
import { formatInZone } from "@/lib/time-format";

const input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm disabled:bg-slate-50";
const button =
  "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50";
const KINDS = ["manual", "scheduled", "pre-upgrade"] as const;

type ConnectionResult = { ok: true; ms: number } | { ok: false; step: string; message: string };

function TargetForm({ target }: { target: PublicOffsiteTarget }) {
  const queryClient = useQueryClient();
  const locked = (field: string) => target.fromEnvironment.includes(field);
  const [form, setForm] = useState({
    endpoint: target.endpoint ?? "",
    region: target.region,
    bucket: target.bucket,
    prefix: target.prefix,
    pathStyle: target.pathStyle,
    accessKeyId: target.accessKeyId,
    secretAccessKey: "",
    recipient: target.recipient ?? "",
    kinds: target.kinds as string[],
    keepScheduled: String(target.keepScheduled),
  });
  const { setNotice, fail } = useNotice("offsite-message");
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [field]: event.target.value });
  const save = useMutation({
    mutationFn: () =>
      apiRequest<PublicOffsiteTarget>("/api/admin/offsite", {
        method: "PUT",
        body: JSON.stringify({
          ...form,
          endpoint: form.endpoint.trim() || null,
          recipient: form.recipient.trim() || null,
          secretAccessKey: form.secretAccessKey || null,
          keepScheduled: Number(form.keepScheduled),
        }),
      }),
    onSuccess: () => {
      setForm({ ...form, secretAccessKey: "" });
      setNotice({ tone: "success", text: "Saved the offsite target." });
      void queryClient.invalidateQueries({ queryKey: ["offsite"] });
    },
    onError: fail,
  });
  const test = useMutation({
    mutationFn: () => apiRequest<ConnectionResult>("/api/admin/offsite/test", { method: "POST" }),
    onSuccess: (outcome) =>
      setNotice(
        outcome.ok
          ? {
              tone: "success",
              text: `Connection works: wrote, read back and deleted a test object (${outcome.ms} ms).`,
            }
          : { tone: "error", text: `The ${outcome.step} step failed: ${outcome.message}` },
      ),
    onError: fail,
  });
  const text = (
    field: "endpoint" | "region" | "bucket" | "prefix" | "accessKeyId" | "recipient",
    label: string,
    placeholder = "",
  ) => (
    <label className="block text-sm">
      <span className="text-slate-600">
        {label}
        {locked(field) && <span className="ml-1 text-xs text-amber-700">(set by OPSTAGE_OFFSITE_*)</span>}
      </span>
      <input
        name={field}
        value={form[field]}
        onChange={set(field)}
        placeholder={placeholder}
        disabled={locked(field)}
        className={input}
      />
    </label>
  );
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={onSubmit} className="space-y-3" data-testid="offsite-form">
      <div className="grid gap-3 md:grid-cols-2">
        {text("endpoint", "Endpoint (empty = AWS S3)", "https://s3.eu-central-1.amazonaws.com")}
        {text("region", "Region", "us-east-1")}
        {text("bucket", "Bucket")}
        {text("prefix", "Key prefix", "opstage")}
        {text("accessKeyId", "Access key id")}
        <label className="block text-sm">
          <span className="text-slate-600">
            Secret access key {target.secretSet ? "(set; leave empty to keep it)" : "(not set)"}
            {locked("secretAccessKey") && (
              <span className="ml-1 text-xs text-amber-700">(set by OPSTAGE_OFFSITE_*)</span>
            )}
          </span>
          <input
            name="secretAccessKey"
            type="password"
            autoComplete="new-password"
            value={form.secretAccessKey}
            onChange={set("secretAccessKey")}
            disabled={locked("secretAccessKey")}
            className={input}
          />
        </label>
        {text("recipient", "Encrypt to age recipient (recommended; empty = no encryption)", "age1…")}
        <label className="block text-sm">
          <span className="text-slate-600">Keep scheduled copies offsite</span>
          <input
            name="keepScheduled"
            type="number"
            min={1}
            max={1000}
            value={form.keepScheduled}
            onChange={set("keepScheduled")}
            disabled={locked("keepScheduled")}
            className={input}
          />
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-4 text-sm">
        <label className="flex items-center gap-1.5">
          <input
            type="checkbox"
            checked={form.pathStyle}
            disabled={locked("pathStyle")}
            onChange={(e) => setForm({ ...form, pathStyle: e.target.checked })}
          />
          Path-style addressing (MinIO, most self-hosted stores)
        </label>
        <span className="text-slate-600">Copy:</span>
        {KINDS.map((kind) => (
          <label key={kind} className="flex items-center gap-1.5">
            <input
              type="checkbox"
              checked={form.kinds.includes(kind)}
              disabled={locked("kinds")}
              onChange={(e) =>
                setForm({
                  ...form,
                  kinds: e.target.checked ? [...form.kinds, kind] : form.kinds.filter((k) => k !== kind),
                })
              }
            />
            {kind}
          </label>
        ))}
      </div>
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
        >
          Save offsite target
        </button>
        <button
          type="button"
          className={button}
          disabled={test.isPending || !target.configured}
          onClick={() => test.mutate()}
        >
          {test.isPending ? "Testing…" : "Test connection"}
        </button>
      </div>
      <p className="text-xs text-slate-500">
        With a recipient set, copies are encrypted with age before they leave this machine: the server can encrypt but
        not decrypt. Keep the identity (AGE-SECRET-KEY-1…) somewhere else than this server — it is needed to restore.
      </p>
    </form>
  );
}

function RemoteCopies() {
  const queryClient = useQueryClient();
  const [identity, setIdentity] = useState("");
  const { setNotice, fail } = useNotice("offsite-fetch-message");
  // Listing reads every copy's manifest from the store: on demand, not on a timer.
  const copies = useQuery({
    queryKey: ["offsite", "copies"],
    queryFn: () => apiRequest<{ copies: RemoteCopy[] }>("/api/admin/offsite/copies"),
    retry: false,
  });
  const fetchCopy = useMutation({
    mutationFn: (copy: RemoteCopy) =>
      apiRequest<{ name: string; detail: string }>("/api/admin/offsite/fetch", {
        method: "POST",
        body: JSON.stringify({ name: copy.name, identity: copy.encrypted ? identity : null }),
      }),
    onSuccess: (fetched) => {
      setIdentity("");
      setNotice({
        tone: "success",
        text: `Fetched ${fetched.name}: ${fetched.detail} It is in Stored backups now: restore it from there.`,
      });
      void queryClient.invalidateQueries({ queryKey: ["backups"] });
    },
    onError: fail,
  });
  return (
    <div className="space-y-3">
      <label className="block max-w-xl text-sm">
        <span className="text-slate-600">age identity for encrypted copies (used for one fetch, never stored)</span>
        <input
          name="identity"
          type="password"
          autoComplete="off"
          value={identity}
          onChange={(e) => setIdentity(e.target.value)}
          placeholder="AGE-SECRET-KEY-1…"
          className={input}
        />
      </label>
      <div className="flex items-center gap-3">
        <button type="button" className={button} disabled={copies.isFetching} onClick={() => void copies.refetch()}>
          {copies.isFetching ? "Listing…" : "Refresh the list"}
        </button>
        {copies.isError && <p className="text-sm text-red-700">{copies.error.message}</p>}
      </div>
      <table className="w-full text-sm">
        <thead className="text-left text-slate-500">
          <tr>
            <th className="py-2 pr-3 font-medium">Remote copy</th>
            <th className="py-2 pr-3 font-medium">Kind</th>
            <th className="py-2 pr-3 font-medium">Created</th>
            <th className="py-2 pr-3 font-medium">Size</th>
            <th className="py-2 pr-3 font-medium">Encrypted</th>
            <th className="py-2 font-medium" />
          </tr>
        </thead>
        <tbody>
          {(copies.data?.copies ?? []).map((copy) => (
            <tr key={copy.name} data-testid="remote-copy-row" className="border-t border-slate-100">
              <td className="py-2 pr-3 font-mono text-xs">
                {copy.name}
                {copy.present ? "" : " (object missing)"}
              </td>
              <td className="py-2 pr-3">{copy.kind}</td>
              <td className="py-2 pr-3 whitespace-nowrap">{formatInZone(copy.createdAt, "UTC")}</td>
              <td className="py-2 pr-3 whitespace-nowrap">{formatBytes(copy.bytes)}</td>
              <td className="py-2 pr-3">{copy.encrypted ? "yes" : "no"}</td>
              <td className="py-2">
                <button
                  type="button"
                  className={button}
                  disabled={fetchCopy.isPending || !copy.present}
                  onClick={() => fetchCopy.mutate(copy)}
                >
                  {fetchCopy.isPending && fetchCopy.variables?.name === copy.name ? "Fetching…" : "Fetch"}
                </button>
              </td>
            </tr>
          ))}
          {copies.data && copies.data.copies.length === 0 && (
            <tr>
              <td colSpan={6} className="py-3 text-slate-500">
                No copies in the bucket yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function OffsitePanel() {
  const target = useQuery({
    queryKey: ["offsite", "target"],
    queryFn: () => apiRequest<PublicOffsiteTarget>("/api/admin/offsite"),
  });
  if (target.isError) return <p className="text-sm text-red-700">{target.error.message}</p>;
  if (!target.data) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <div className="space-y-6">
      <TargetForm key={JSON.stringify(target.data)} target={target.data} />
      {target.data.configured && <RemoteCopies />}
    </div>
  );
}
