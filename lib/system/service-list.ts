// The server's long-lived services, in the order they start; they stop in the reverse order. What
// others use starts first: the snapshot workers and alert delivery before anything that snapshots
// or alerts, Litestream before the work that writes, the scheduler — which feeds the queues with
// new backups — last, so that at a stop it is the first to end and waits for its run in progress
// while everything that run uses is still there.
import { auditRetentionService } from "../audit/retention";
import { alertDeliveryService } from "../alerts/notify";
import { backupHealthMonitorService } from "../backup/health-monitor";
import { proofQueueService } from "../backup/proof";
import { backupSchedulerService } from "../backup/schedule";
import { snapshotWorkersService } from "../backup/worker";
import { offsiteCopyService } from "../offsite/resume";
import { litestreamService } from "../replication/supervisor";
import type { Service } from "../service";

export const SERVICES: readonly Service[] = [
  snapshotWorkersService,
  alertDeliveryService,
  litestreamService,
  proofQueueService,
  offsiteCopyService,
  auditRetentionService,
  backupHealthMonitorService,
  backupSchedulerService,
];
