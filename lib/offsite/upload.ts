// One offsite copy of one stored backup: the file streamed (through age when a recipient is set)
// into a multipart upload, hashed on the way out, then its remote manifest beside it. Memory is
// bounded by the part size times the parts in flight, whatever the backup's size.
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { Transform, type Readable } from "node:stream";
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { backupPath } from "../backup/files";
import { readManifest } from "../backup/manifest";
import { encryptStream } from "./age";
import { REMOTE_MANIFEST_FORMAT, remoteManifestName, type RemoteManifest } from "./remote-manifest";
import { objectKey } from "./s3";
import type { OffsiteTarget } from "./target";

/** 8 MiB parts, two in flight: ~16-24 MB of buffers. S3's minimum part is 5 MiB; 10,000 parts = 80 GB. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
const READ_CHUNK_BYTES = 1024 * 1024;

export type UploadedCopy = { key: string; objectName: string; sha256: string; bytes: number; encrypted: boolean };

export class OffsiteUploadError extends Error {
  override name = "OffsiteUploadError";
}

export async function uploadBackupCopy(
  client: S3Client,
  target: OffsiteTarget,
  backupDir: string,
  name: string,
  onProgress: (fraction: number) => void,
): Promise<UploadedCopy> {
  const file = backupPath(backupDir, name);
  const manifest = readManifest(backupDir, name);
  if (!manifest?.sha256) throw new OffsiteUploadError(`${name} has no complete manifest yet; it is copied once its sha256 is recorded.`);
  const { verification: _verification, ...backup } = manifest;
  const plainBytes = statSync(file).size;
  const encrypted = target.recipient !== null;
  const objectName = encrypted ? `${name}.age` : name;
  const key = objectKey(target, objectName);

  const source = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  source.on("data", () => onProgress(plainBytes === 0 ? 1 : source.bytesRead / plainBytes));
  const body: Readable = encrypted ? await encryptStream(source, target.recipient!) : source;
  const hash = createHash("sha256");
  let bytes = 0;
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  body.on("error", (error) => hashed.destroy(error));
  body.pipe(hashed);

  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: key, Body: hashed, ContentType: encrypted ? "application/octet-stream" : "application/vnd.sqlite3" },
    partSize: PART_BYTES,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } finally {
    source.destroy();
  }
  const sha256 = hash.digest("hex");

  // The store must hold what was sent: a proxy that cut the body would otherwise go unnoticed
  // until the day it is needed.
  const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
  if (head.ContentLength !== undefined && head.ContentLength !== bytes) {
    throw new OffsiteUploadError(`the store holds ${head.ContentLength} bytes of ${objectName}, ${bytes} were sent`);
  }
  const remote: RemoteManifest = {
    format: REMOTE_MANIFEST_FORMAT,
    uploadedAt: new Date().toISOString(),
    object: { name: objectName, bytes, sha256, recipient: target.recipient },
    backup,
  };
  await client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: objectKey(target, remoteManifestName(objectName)),
      Body: `${JSON.stringify(remote, null, 2)}\n`,
      ContentType: "application/json",
    }),
  );
  onProgress(1);
  return { key, objectName, sha256, bytes, encrypted };
}
