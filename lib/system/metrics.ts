// GET /api/metrics in the Prometheus text format (prom-client). The backup figures are read
// from the backup folder's manifests and the audit log at each scrape, so they are right after
// a restart and agree with what the console shows; Node's own (event loop lag, memory) come from
// prom-client's default metrics.
import { statSync } from "node:fs";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { listBackups } from "../backup/catalog";
import { backupHealth, HEALTH_STATES } from "./backup-health";
import { BACKUP_KINDS, readManifest } from "../backup/manifest";
import type { Config } from "../config";
import { getAppDatabase } from "../db/app-database";
import { getPrisma } from "../db/prisma";
import { processSingleton } from "../process-singleton";
import { migrationSummary } from "./diagnostics";

type Metrics = ReturnType<typeof createMetrics>;

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    lastTimestamp: gauge(
      "opstage_backup_last_timestamp_seconds",
      "When the newest backup of each kind was made (Unix time).",
      ["kind"],
    ),
    lastDuration: gauge(
      "opstage_backup_last_duration_seconds",
      "How long the newest backup of each kind took to make.",
      ["kind"],
    ),
    lastSize: gauge("opstage_backup_last_size_bytes", "Size of the newest backup of each kind.", ["kind"]),
    lastMethod: gauge(
      "opstage_backup_last_snapshot_method",
      "1 for the snapshot method the newest backup of each kind used (file-copy, or backup-api when it fell back).",
      ["kind", "method"],
    ),
    stored: gauge("opstage_backups_stored", "Backups in the backup folder, by kind.", ["kind"]),
    lastGood: gauge(
      "opstage_backup_last_good_timestamp_seconds",
      "When the newest backup verified good (any kind) was made; 0 when there is none.",
    ),
    health: gauge(
      "opstage_backup_health",
      "1 for the backup health state (ok, retrying, overdue, failing, unknown) of each source, 0 for the others.",
      ["source", "state"],
    ),
    failures: counter(
      "opstage_backup_failures_total",
      "Backups that failed, by kind (from the audit log: backup.sqlite.failed).",
      ["kind"],
    ),
    verifyFailures: counter(
      "opstage_backup_verify_failures_total",
      "Verifications that found a backup bad (from the audit log: backup.verified with result FAILURE).",
    ),
    restores: counter("opstage_restores_total", "Restores done (from the audit log: backup.sqlite.restored)."),
    upgrades: counter("opstage_upgrades_total", "Upgrades applied at start (upgrade history)."),
    databaseBytes: gauge("opstage_database_bytes", "Size of opstage.db."),
    walBytes: gauge("opstage_database_wal_bytes", "Size of opstage.db-wal (0 when absent)."),
    migrationsPending: gauge("opstage_migrations_pending", "Migrations this build would still apply."),
  };
}

const metrics = () => processSingleton<Metrics>("metrics", createMetrics);

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The scrape: refreshes every Opstage figure, then renders the registry. */
export async function renderMetrics(config: Config): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  const backups = listBackups(config.backupDir);
  for (const gauge of [m.lastTimestamp, m.lastDuration, m.lastSize, m.lastMethod, m.stored]) gauge.reset();
  for (const kind of BACKUP_KINDS) {
    const ofKind = backups.filter((entry) => entry.kind === kind);
    m.stored.set({ kind }, ofKind.length);
    const newest = ofKind[0];
    if (!newest) continue;
    m.lastTimestamp.set({ kind }, new Date(newest.createdAt).getTime() / 1000);
    m.lastSize.set({ kind }, newest.bytes);
    const manifest = readManifest(config.backupDir, newest.name);
    if (manifest?.durationMs != null) m.lastDuration.set({ kind }, manifest.durationMs / 1000);
    if (manifest?.snapshotMethod) m.lastMethod.set({ kind, method: manifest.snapshotMethod }, 1);
  }
  const health = await backupHealth(config);
  m.lastGood.set(health.lastGood ? new Date(health.lastGood.createdAt).getTime() / 1000 : 0);
  m.health.reset();
  for (const row of health.rows) {
    for (const state of HEALTH_STATES) m.health.set({ source: row.source, state }, row.state === state ? 1 : 0);
  }

  const prisma = getPrisma();
  const [failedRows, verifyFailures, restores, upgrades] = await Promise.all([
    prisma.auditEvent.findMany({ where: { action: "backup.sqlite.failed" }, select: { metadataJson: true } }),
    prisma.auditEvent.count({ where: { action: "backup.verified", result: "FAILURE" } }),
    prisma.auditEvent.count({ where: { action: "backup.sqlite.restored" } }),
    prisma.upgradeHistory.count(),
  ]);
  const failuresByKind = new Map<string, number>(BACKUP_KINDS.filter((k) => k !== "external").map((k) => [k, 0]));
  for (const row of failedRows) {
    let kind = "unknown";
    try {
      kind = String((JSON.parse(row.metadataJson ?? "{}") as { kind?: string }).kind ?? "unknown");
    } catch {
      // a row written by hand: counted as unknown
    }
    failuresByKind.set(kind, (failuresByKind.get(kind) ?? 0) + 1);
  }
  m.failures.reset();
  for (const [kind, count] of failuresByKind) m.failures.inc({ kind }, count);
  for (const [counter, value] of [
    [m.verifyFailures, verifyFailures],
    [m.restores, restores],
    [m.upgrades, upgrades],
  ] as const) {
    counter.reset();
    counter.inc(value);
  }

  m.databaseBytes.set(fileSize(config.databasePath));
  m.walBytes.set(fileSize(`${config.databasePath}-wal`));
  m.migrationsPending.set(migrationSummary(getAppDatabase()).pending);
  return { body: await m.registry.metrics(), contentType: METRICS_CONTENT_TYPE };
}
