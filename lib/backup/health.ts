// Is there a recent backup that is known to be good? One answer for the Overview card, the
// console's banner, /api/health's `backups` detail, the metrics and the overdue alert.
//
// The answer is a list of rows, one per source, each ok / overdue / failing / unknown; the
// overall state is the worst row. The sources: the local backups and, when they are on, the
// offsite copies and replication.
import type { Config } from "../config";
import { cronIntervalMs } from "../cron";
import { readCopyState } from "../offsite/copy-state";
import { loadOffsiteTarget } from "../offsite/target";
import { localReplicationStatus, type ReplicationStatus } from "../replication/status";
import { isGoodBackup, listBackups, type BackupEntry } from "./catalog";

export { isGoodBackup };
import { getScheduler, type LastRun } from "./schedule";

export type HealthState = "ok" | "overdue" | "failing" | "unknown";

export type HealthRow = {
  /** Stable id of the source: "backups", "offsite", "replication". */
  source: string;
  label: string;
  state: HealthState;
  /** When the source last succeeded (the newest good backup, the last offsite copy). */
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

const RANK: Record<HealthState, number> = { unknown: 0, ok: 1, overdue: 2, failing: 3 };

export function worstState(states: HealthState[]): HealthState {
  return states.reduce<HealthState>((worst, state) => (RANK[state] > RANK[worst] ? state : worst), "unknown");
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** The local backups row: pure, for the given facts and time. */
export function backupsRow(
  backups: BackupEntry[],
  schedule: BackupHealth["schedule"],
  now: Date,
): { row: HealthRow; lastGood: LastGoodBackup | null } {
  const newest = backups.find(isGoodBackup) ?? null;
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
      `The last scheduled backup (${lastRun.at}) failed: ${lastRun.error ?? "unknown error"}. Fix the cause; the next run will tell.`,
    );
  }
  const age = lastGood ? now.getTime() - new Date(lastGood.createdAt).getTime() : null;
  if (cron && intervalMs !== null && age !== null && age > 2 * intervalMs) {
    return row(
      "overdue",
      `The newest good backup is ${ago(age)} old, more than twice the schedule's interval (${ago(intervalMs)}). Check that the schedule runs.`,
    );
  }
  if (!lastGood) {
    return row(
      "unknown",
      cron ? "No backup yet: the first scheduled run will make one." : "No backup yet, and no schedule: turn one on.",
    );
  }
  const proven = lastGood.provenAt ? `, verified ${lastGood.provenAt}` : "";
  return row(
    "ok",
    `${lastGood.name} (${lastGood.kind}, ${ago(age ?? 0)} old${proven}).${cron ? "" : " No schedule is on."}`,
  );
}

/** The offsite row: the newest copy's outcome, when a target is configured. */
export function offsiteRow(backupDir: string, backups: BackupEntry[]): HealthRow {
  let lastDone: string | null = null;
  let newestState: ReturnType<typeof readCopyState> = null;
  let newestName: string | null = null;
  for (const entry of backups) {
    const state = readCopyState(backupDir, entry.name);
    if (!state) continue;
    if (!newestState) {
      newestState = state;
      newestName = entry.name;
    }
    if (state.status === "done") {
      lastDone = state.at;
      break;
    }
  }
  const row = (state: HealthState, detail: string): HealthRow => ({
    source: "offsite",
    label: "Last offsite copy",
    state,
    at: lastDone,
    detail,
  });
  if (newestState?.status === "failed") {
    return row("failing", `The offsite copy of ${newestName} failed: ${newestState.error ?? "unknown error"}.`);
  }
  if (!lastDone) return row("unknown", "No backup has been copied offsite yet.");
  return row("ok", `Copied ${lastDone}.`);
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
  if (offsiteConfigured) rows.push(offsiteRow(config.backupDir, backups));
  const replication = localReplicationStatus(config);
  if (replication.enabled) rows.push(replicationRow(replication, now));
  return { state: worstState(rows.map((r) => r.state)), rows, lastGood, schedule, checkedAt: now.toISOString() };
}
