// The server's long-lived services, in the order they start; they stop in the reverse order. What
// others use starts first: the snapshot workers and alert delivery before anything that snapshots
// or alerts, Litestream before the work that writes, the scheduler — which feeds the queues with
// new backups — last, so that at a stop it is the first to end and waits for its run in progress
// while everything that run uses is still there.
import { auditRetentionService } from "../audit/retention";
import { alertOutboxService } from "../alerts/outbox";
import { copyLaneService, proofLaneService } from "../background/lanes";
import { reconcilerService } from "../background/reconciler";
import { backupSchedulerService } from "../backup/schedule";
import { snapshotWorkersService } from "../backup/worker";
import { offsiteCopyOutcome } from "../offsite/queue";
import { momentCheckSweeperService } from "../replication/moment-check";
import { litestreamService } from "../replication/supervisor";
import type { Service } from "../service";
import { createAuditedBackup } from "./audited-backup";
import { backupHealthMonitorService } from "./backup-health-monitor";

export const SERVICES: readonly Service[] = [
  snapshotWorkersService,
  alertOutboxService,
  litestreamService,
  proofLaneService,
  copyLaneService,
  // After the lanes it feeds: at start (and after a restore's pause) it queues what is undone.
  reconcilerService,
  auditRetentionService,
  momentCheckSweeperService,
  backupHealthMonitorService,
  // The heartbeat of a scheduled run waits for its offsite copy (backup/schedule.ts).
  backupSchedulerService(createAuditedBackup, offsiteCopyOutcome),
];
