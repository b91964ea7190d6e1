// The after-work lanes as services (lib/system/service-list.ts): proofs and offsite copies each run
// in their own queue (lib/backup/proof.ts, lib/offsite/queue.ts), which takes work as it comes.
// A stop drops what has not started and does not wait for the job under way (each says why it
// may be cut); what was dropped is still recorded as undone on disk, and the reconciler, which
// starts after the lanes, queues it again.
import { startBackupProofs, stopBackupProofs } from "../backup/proof";
import { startOffsiteCopies, stopOffsiteCopies } from "../offsite/queue";
import type { Service } from "../service";

export const proofLaneService: Service = {
  name: "proof lane",
  start: startBackupProofs,
  stop: stopBackupProofs,
};

export const copyLaneService: Service = {
  name: "offsite copy lane",
  start: startOffsiteCopies,
  stop: stopOffsiteCopies,
};
