// The console-wide banner for owners: shown on every page while a scheduled backup is failing or
// the newest verified backup is overdue, or an offsite copy is retrying (lib/system/backup-health.ts).
import Link from "next/link";
import { backupHealth } from "@/lib/system/backup-health";
import { getConfig } from "@/lib/config";

export async function BackupHealthBanner() {
  const health = await backupHealth(getConfig()).catch(() => null);
  if (!health) return null;
  const problems = health.rows.filter((row) => ["failing", "overdue", "retrying"].includes(row.state));
  if (problems.length === 0) return null;
  const failing = problems.some((row) => row.state === "failing");
  const headline = failing
    ? "Backups are failing."
    : problems.some((row) => row.state === "overdue")
      ? "Backups are overdue."
      : "An offsite copy is retrying.";
  return (
    <div
      role="alert"
      data-testid="backup-health-banner"
      data-state={health.state}
      className={`border-b px-6 py-2 text-sm ${
        failing ? "border-red-200 bg-red-50 text-red-800" : "border-amber-200 bg-amber-50 text-amber-900"
      }`}
    >
      <div className="mx-auto flex max-w-5xl flex-wrap items-baseline gap-x-2">
        <strong>{headline}</strong>
        {problems.map((row) => (
          <span key={row.source}>
            {row.label}: {row.detail}
          </span>
        ))}
        <Link href="/settings/backups" className="ml-auto underline">
          Backups →
        </Link>
      </div>
    </div>
  );
}
