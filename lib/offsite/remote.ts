// The copies in the bucket: listed from their manifests, and the scheduled ones beyond the
// remote keep count deleted.
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { parseRemoteManifest, type RemoteManifest } from "./remote-manifest";
import { keyPrefix, objectKey } from "./s3";
import type { OffsiteTarget } from "./target";

export type RemoteCopy = {
  /** The object's name under the prefix (what `opstage offsite fetch` takes). */
  name: string;
  backupName: string;
  kind: RemoteManifest["backup"]["kind"];
  createdAt: string;
  uploadedAt: string;
  bytes: number;
  sha256: string;
  encrypted: boolean;
  recipient: string | null;
  appVersion: string;
  /** False when the manifest is there but the object is not (deleted by hand). */
  present: boolean;
};

// No delimiter: s3rver's delimiter listing misses nested prefixes, and a prefix holds only
// this instance's copies anyway.
async function listKeys(client: S3Client, target: OffsiteTarget): Promise<Map<string, number>> {
  const keys = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: target.bucket, Prefix: keyPrefix(target), ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.set(object.Key, object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function readRemoteManifest(
  client: S3Client,
  target: OffsiteTarget,
  objectName: string,
): Promise<RemoteManifest | null> {
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: target.bucket, Key: objectKey(target, `${objectName}.json`) }),
    );
    return parseRemoteManifest(await response.Body!.transformToString());
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return null;
    throw error;
  }
}

/** Every complete copy under the target's prefix, newest first. */
export async function listRemoteCopies(client: S3Client, target: OffsiteTarget): Promise<RemoteCopy[]> {
  const keys = await listKeys(client, target);
  const prefix = keyPrefix(target);
  const names = [...keys.keys()]
    .map((key) => key.slice(prefix.length))
    .filter((name) => !name.includes("/") && /\.db(\.age)?\.json$/.test(name))
    .map((name) => name.slice(0, -".json".length));
  const copies: RemoteCopy[] = [];
  for (const name of names) {
    const manifest = await readRemoteManifest(client, target, name);
    if (!manifest || manifest.object.name !== name) continue;
    copies.push({
      name,
      backupName: manifest.backup.name,
      kind: manifest.backup.kind,
      createdAt: manifest.backup.createdAt,
      uploadedAt: manifest.uploadedAt,
      bytes: manifest.object.bytes,
      sha256: manifest.object.sha256,
      encrypted: manifest.object.recipient !== null,
      recipient: manifest.object.recipient,
      appVersion: manifest.backup.appVersion,
      present: keys.has(objectKey(target, name)),
    });
  }
  return copies.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
}

/**
 * Deletes the scheduled copies beyond the newest `keep`, except the objects in `sharedKeys` (a
 * local backup's state shares them: reuse.ts). Returns the names deleted and those kept for that.
 */
export async function applyRemoteRetention(
  client: S3Client,
  target: OffsiteTarget,
  sharedKeys: ReadonlySet<string> = new Set(),
): Promise<{ deleted: string[]; keptShared: string[] }> {
  const scheduled = (await listRemoteCopies(client, target)).filter((copy) => copy.kind === "scheduled");
  const beyond = scheduled.slice(target.keepScheduled);
  const isShared = (copy: RemoteCopy) => sharedKeys.has(objectKey(target, copy.name));
  const doomed = beyond.filter((copy) => !isShared(copy));
  const keptShared = beyond.filter(isShared).map((copy) => copy.name);
  // One DeleteObject per key, not DeleteObjects: that one requires a Content-MD5 header, which
  // newer SDKs replace with a CRC32 checksum that several S3-compatible stores reject. The object
  // first, then its manifest: a crash in between leaves a manifest listed as "not present",
  // never an object nobody lists.
  for (const copy of doomed) {
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: objectKey(target, copy.name) }));
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: objectKey(target, `${copy.name}.json`) }));
  }
  return { deleted: doomed.map((copy) => copy.name), keptShared };
}
