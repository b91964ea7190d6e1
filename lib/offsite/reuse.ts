// Whether a new scheduled backup can share the newest offsite copy instead of being uploaded
// again: the same bytes (sha256), or the same data apart from Opstage's own bookkeeping
// (bookkeeping.ts). A scheduled run writes its own audit rows and last-run setting into the
// database before the next run backs it up, so two scheduled backups of an unchanged database
// never have the same sha256 (measured: three runs two seconds apart, three sha256s); the
// literal rule alone would never share anything, hence the comparison.
//
// Whatever cannot be checked (the older backup deleted, the object gone from the bucket, a new
// recipient, a comparison that fails) means "upload as usual": sharing is only a saving.
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listBackups } from "../backup/catalog";
import { backupPath } from "../backup/files";
import { readManifest } from "../backup/manifest";
import { compareFiles, inspectableBackupPath } from "../inspect/inspect";
import { BOOKKEEPING_SAMPLE_ROWS, onlyBookkeepingDiffers } from "./bookkeeping";
import { readCopyState } from "./copy-state";
import { readRemoteManifest } from "./remote";
import { keyPrefix, objectKey } from "./s3";
import type { OffsiteTarget } from "./target";

export type SharedCopy = {
  key: string;
  sha256: string;
  bytes: number;
  encrypted: boolean;
  /** The backup the object was uploaded from. */
  sharedFrom: string;
  /** "sha256": the same bytes; "data": the same data apart from bookkeeping. */
  sameAs: "sha256" | "data";
  /** The local backup compared with (sharedFrom, or a newer backup that shares its copy). */
  comparedWith: string;
};

export type ReuseDecision = { shared: SharedCopy } | { shared: null; reason: string };

/**
 * Looks for the newest done offsite copy of an older local backup and decides whether `name`
 * can point at it. Never throws: any failure is a reason to upload.
 */
export async function findSharableCopy(
  client: S3Client,
  target: OffsiteTarget,
  backupDir: string,
  name: string,
  signal?: AbortSignal,
): Promise<ReuseDecision> {
  try {
    const manifest = readManifest(backupDir, name);
    if (!manifest?.sha256) return { shared: null, reason: `${name} has no sha256 yet` };
    const older = listBackups(backupDir).filter(
      (entry) => entry.name !== name && entry.createdAt.localeCompare(manifest.createdAt) <= 0,
    );
    // Newest first (listBackups' order): the newest backup whose copy is done. That backup may
    // itself share an older backup's copy; comparing with it is comparing with that backup's
    // data, since "equal apart from bookkeeping" carries from one backup to the next.
    const newest = older
      .map((entry) => ({ entry, state: readCopyState(backupDir, entry.name) }))
      .find(({ state }) => state?.status === "done" && state.key && state.sha256);
    if (!newest) return { shared: null, reason: "no older backup has an offsite copy" };
    const { entry, state } = newest;
    const objectName = state!.key!.slice(keyPrefix(target).length);
    if (objectName.length === 0 || objectKey(target, objectName) !== state!.key) {
      return { shared: null, reason: `the copy of ${entry.name} is not under the current bucket prefix` };
    }
    const remote = await readRemoteManifest(client, target, objectName);
    if (!remote) return { shared: null, reason: `${objectName} is no longer in the bucket` };
    if (remote.object.recipient !== target.recipient) {
      return { shared: null, reason: `${objectName} is encrypted to another recipient than the target's` };
    }
    // The manifest says what was uploaded; the object must still be there to be shared.
    const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: state!.key! }));
    if (head.ContentLength !== undefined && head.ContentLength !== remote.object.bytes) {
      return { shared: null, reason: `${objectName} in the bucket is not the size its manifest says` };
    }
    const copy = {
      key: state!.key!,
      sha256: remote.object.sha256,
      bytes: remote.object.bytes,
      encrypted: remote.object.recipient !== null,
      sharedFrom: remote.backup.name,
      comparedWith: entry.name,
    };
    if (remote.backup.sha256 === manifest.sha256) return { shared: { ...copy, sameAs: "sha256" } };

    const comparison = await compareFiles(
      { path: inspectableBackupPath(backupDir, entry.name), label: entry.name },
      { path: backupPath(backupDir, name), label: name },
      // Only used to word a refusal; a refusal here just means "upload".
      [],
      { sampleRows: BOOKKEEPING_SAMPLE_ROWS, signal },
    );
    const verdict = onlyBookkeepingDiffers(comparison);
    if (!verdict.onlyBookkeeping) return { shared: null, reason: `it differs from ${entry.name}: ${verdict.reason}` };
    return { shared: { ...copy, sameAs: "data" } };
  } catch (error) {
    return { shared: null, reason: `could not compare with the newest offsite copy: ${(error as Error).message}` };
  }
}
