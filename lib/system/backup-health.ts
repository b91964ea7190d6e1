// Is there a recent backup that is known to be good? One answer for the Overview card, the
// console's banner, /api/health's `backups` detail, the metrics and the overdue alert.
//
// The answer is a list of rows, one per source, each ok / retrying / overdue / failing / unknown;
// the overall state is the worst row, and "unknown" ranks above "ok": a console that cannot tell
// (a new install, a backup not verified yet, an offsite target never written to) never shows
// green. The sources: the local backups and, when they are on, the offsite copies and replication.
// It reads three domains (backups, offsite, replication), so it lives above all three.
import type { Config } from "../config";
import { cronIntervalMs } from "../cron";
import { isProvenGood, listBackups, type BackupEntry } from "../backup/catalog";
import { getScheduler, type LastRun } from "../backup/schedule";
import { readCopyState } from "../offsite/copy-state";
import { COPY_ATTEMPTS, isRetrying, type OffsiteCopyState } from "../offsite/copy-status";
import { loadOffsiteTarget } from "../offsite/target";
import { localReplicationStatus, type ReplicationStatus } from "../replication/status";
import { formatInZone } from "../time-format";

export type HealthState = "ok" | "retrying" | "overdue" | "failing" | "unknown";

export const HEALTH_STATES: readonly HealthState[] = ["ok", "retrying", "overdue", "failing", "unknown"];
export type HealthRow = {
  /** Stable id of the source: "backups", "offsite", "replication". */
  source: string;
  label: string;
  state: HealthState;
  /** When the source last succeeded (the newest verified backup, the last offsite copy). */
  at: string | null;
  /** What is wrong and what to do, or what is right. */
  detail: string;
};

export type LastGoodBackup = { name: string; kind: string; createdAt: string; provenAt: string | null };

export type BackupHealth = {
  state: HealthState;
  rows: HealthRow[];
  lastGood: LastGoodBackup | null;
  schedule: { cron: string | null; intervalMs: number | null; lastRun: LastRun | null };
  checkedAt: string;
};

const RANK: Record<HealthState, number> = { ok: 0, unknown: 1, retrying: 2, overdue: 3, failing: 4 };

/** The worst of the rows; no rows at all is unknown. */
export function worstState(states: HealthState[]): HealthState {
  if (states.length === 0) return "unknown";
  return states.reduce<HealthState>((worst, state) => (RANK[state] > RANK[worst] ? state : worst), "ok");
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** The local backups row: pure, for the given facts and time. "Good" means verified restorable. */
export function backupsRow(
  backups: BackupEntry[],
  schedule: BackupHealth["schedule"],
  now: Date,
): { row: HealthRow; lastGood: LastGoodBackup | null } {
  const newest = backups.find(isProvenGood) ?? null;
  const lastGood = newest
    ? { name: newest.name, kind: newest.kind, createdAt: newest.createdAt, provenAt: newest.verification?.at ?? null }
    : null;
  const row = (state: HealthState, detail: string): { row: HealthRow; lastGood: LastGoodBackup | null } => ({
    row: { source: "backups", label: "Last good backup", state, at: lastGood?.createdAt ?? null, detail },
    lastGood,
  });
  const { cron, intervalMs, lastRun } = schedule;
  if (cron && lastRun && !lastRun.ok) {
    return row(
      "failing",
      `The last scheduled backup (${formatInZone(lastRun.at, "UTC", true)}) failed: ${lastRun.error ?? "unknown error"}. Fix the cause; the next run will tell.`,
    );
  }
  const age = lastGood ? now.getTime() - new Date(lastGood.createdAt).getTime() : null;
  if (cron && intervalMs !== null && age !== null && age > 2 * intervalMs) {
    return row(
      "overdue",
      `The newest verified backup is ${ago(age)} old, more than twice the schedule's interval (${ago(intervalMs)}). Check that the schedule runs.`,
    );
  }
  if (!lastGood) {
    const unproven = backups.filter((entry) => !entry.verification && entry.kind !== "external").length;
    if (unproven > 0) {
      return row(
        "unknown",
        `${unproven} backup(s), none verified yet: each is verified in the background right after it is stored.`,
      );
    }
    return row(
      "unknown",
      cron ? "No backup yet: the first scheduled run will make one." : "No backup yet, and no schedule: turn one on.",
    );
  }
  return row(
    "ok",
    `${lastGood.name} (${lastGood.kind}, ${ago(age ?? 0)} old, verified ${lastGood.provenAt ? formatInZone(lastGood.provenAt, "UTC") : "never"}).${cron ? "" : " No schedule is on."}`,
  );
}

function timeOf(iso: string | undefined): string {
  return iso ? formatInZone(iso, "UTC", true) : "soon";
}

/**
 * The offsite row, when a target is configured: failing while any copy has failed for good and
 * no later copy has succeeded; retrying while a copy newer than the last good one is between
 * attempts; ok once the newest settled copy succeeded; unknown before the first.
 */
export function offsiteRow(copies: { name: string; state: OffsiteCopyState | null }[]): HealthRow {
  let lastDone: string | null = null;
  let failed: { name: string; state: OffsiteCopyState } | null = null;
  let retrying: { name: string; state: OffsiteCopyState } | null = null;
  for (const { name, state } of copies) {
    if (!state) continue;
    if (state.status === "done") {
      lastDone = state.at;
      break;
    }
    if (state.status === "failed") failed ??= { name, state };
    if (isRetrying(state)) retrying ??= { name, state };
  }
  const row = (state: HealthState, detail: string): HealthRow => ({
    source: "offsite",
    label: "Last offsite copy",
    state,
    at: lastDone,
    detail,
  });
  const since = lastDone ? `The last copy that succeeded is from ${timeOf(lastDone)}.` : "No copy has succeeded yet.";
  if (failed) {
    const { name, state } = failed;
    return row(
      "failing",
      `The offsite copy of ${name} failed after ${state.attempts} attempts: ${state.error ?? "unknown error"}. ${since} Check the target in Backups → Offsite, then "Retry offsite copy now".`,
    );
  }
  if (retrying) {
    const { name, state } = retrying;
    const next = state.status === "uploading" ? "under way" : `next at ${timeOf(state.nextAttemptAt)}`;
    return row(
      "retrying",
      `Retrying (attempt ${state.attempts} of ${COPY_ATTEMPTS}, ${next}): the offsite copy of ${name}: ${state.error ?? "the last attempt failed"}. ${since}`,
    );
  }
  if (!lastDone) return row("unknown", "No backup has been copied offsite yet.");
  return row("ok", `Copied ${timeOf(lastDone)}.`);
}

/** The replication row, when replication is on: Litestream's state and the last upload. */
export function replicationRow(status: ReplicationStatus, now: Date): HealthRow {
  const at = status.lastSync;
  const row = (state: HealthState, detail: string): HealthRow => ({
    source: "replication",
    label: "Replication",
    state,
    at,
    detail,
  });
  if (status.state === "error") {
    const error = status.setupError ?? status.lastError?.message ?? status.replicaError ?? "unknown error";
    return row("failing", `Replication to ${status.replicaLabel} is failing: ${error}. See Settings → Replication.`);
  }
  if (status.state !== "ok") return row("unknown", `Litestream is ${status.running ? "starting" : "not running"}.`);
  const since = at ? `; last upload ${ago(now.getTime() - Date.parse(at))} ago (an idle database uploads nothing)` : "";
  return row("ok", `Replicating to ${status.replicaLabel}${since}.`);
}

export async function backupHealth(config: Config, now = new Date()): Promise<BackupHealth> {
  const status = await getScheduler(config).status();
  const schedule = {
    cron: status.cron,
    intervalMs: status.cron ? cronIntervalMs(status.cron, now) : null,
    lastRun: status.lastRun,
  };
  const backups = listBackups(config.backupDir);
  const { row, lastGood } = backupsRow(backups, schedule, now);
  const rows = [row];
  const offsiteConfigured = await loadOffsiteTarget(config).then(
    (target) => target !== null,
    () => false,
  );
  if (offsiteConfigured) {
    rows.push(
      offsiteRow(backups.map((entry) => ({ name: entry.name, state: readCopyState(config.backupDir, entry.name) }))),
    );
  }
  const replication = localReplicationStatus(config);
  if (replication.enabled) rows.push(replicationRow(replication, now));
  return { state: worstState(rows.map((r) => r.state)), rows, lastGood, schedule, checkedAt: now.toISOString() };
}
