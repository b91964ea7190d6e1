import Link from "next/link";
import { notFound } from "next/navigation";
import { getAuditEvent } from "@/lib/audit/log";
import { requirePageRole } from "../../../require-page-role";

export const metadata = { title: "Audit event · Opstage CE" };

function prettyMetadata(json: string | null): string {
  if (!json) return "—";
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

export default async function AuditEventPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageRole("viewer");
  const event = await getAuditEvent(actor, (await params).id);
  if (!event) notFound();
  const fields: [string, string | null][] = [
    ["When (UTC)", event.createdAt.toISOString()],
    ["Action", event.action],
    ["Result", event.result],
    [
      "Actor",
      `${event.actorType}${event.actorId ? ` ${event.actorId}` : ""}${event.actorName ? ` (${event.actorName})` : ""}`,
    ],
    ["Target", event.targetType || event.targetId ? `${event.targetType ?? ""} ${event.targetId ?? ""}`.trim() : null],
    ["Message", event.message],
    ["IP address", event.ipAddress],
    ["User agent", event.userAgent],
    ["Event id", event.id],
  ];
  return (
    <div className="space-y-6">
      <Link href="/settings/audit" className="text-sm text-indigo-600 hover:underline">
        ← Audit log
      </Link>
      <h1 className="font-mono text-xl font-semibold">{event.action}</h1>
      <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white p-6 text-sm">
        {fields.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-slate-500">{label}</dt>
            <dd className="break-all">{value ?? "—"}</dd>
          </div>
        ))}
      </dl>
      <section>
        <h2 className="mb-2 text-lg font-medium">Metadata</h2>
        <pre
          data-testid="audit-metadata"
          className="overflow-x-auto rounded-lg border border-slate-200 bg-slate-50 p-4 text-xs"
        >
          {prettyMetadata(event.metadataJson)}
        </pre>
      </section>
    </div>
  );
}
