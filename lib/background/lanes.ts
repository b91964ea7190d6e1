// The after-work lanes as services (lib/system/services.ts): proofs and offsite copies each run in
// their own queue (lib/backup/proof.ts, lib/offsite/queue.ts). Starting needs nothing (a lane
// takes work as it comes); stopping drops what has not started and lets the running job finish.
// What was dropped is still recorded as undone on disk: the reconciler queues it at the next start.
import { stopBackupProofs } from "../backup/proof";
import { stopOffsiteCopies } from "../offsite/queue";

export const proofLaneService = {
  name: "proof lane",
  start(): void {},
  stop: stopBackupProofs,
};

export const copyLaneService = {
  name: "offsite copy lane",
  start(): void {},
  stop: stopOffsiteCopies,
};
