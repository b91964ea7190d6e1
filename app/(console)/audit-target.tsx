// An audit event's target as people know it: the username, token or channel name when the event
// keeps an id (lib/audit/log.ts resolves it), the id itself when the thing is gone or the target
// is a name already (a backup, a setting). The id stays on hover.
export function AuditTarget({ event }: { event: { targetId: string | null; targetName: string | null } }) {
  if (!event.targetId) return null;
  if (!event.targetName || event.targetName === event.targetId)
    return <span className="break-all">{event.targetId}</span>;
  return (
    <span title={event.targetId} data-testid="audit-target-name">
      {event.targetName}
    </span>
  );
}
