// One offsite copy of one stored backup: the file streamed (through age when a recipient is set)
// into a multipart upload, hashed on the way out, then its remote manifest beside it. Memory is
// two part buffers (multipart.ts), whatever the backup's size.
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { backupPath } from "../backup/files";
import { readManifest } from "../backup/manifest";
import { encryptStream, fileWebStream } from "./age";
import { fileFiller, streamFiller, uploadMultipart } from "./multipart";
import { REMOTE_MANIFEST_FORMAT, remoteManifestName, type RemoteManifest } from "./remote-manifest";
import { objectKey } from "./s3";
import type { OffsiteTarget } from "./target";

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
  uploadStarted: (upload: { key: string; uploadId: string }) => Promise<void> = async () => {},
): Promise<UploadedCopy> {
  const file = backupPath(backupDir, name);
  const manifest = readManifest(backupDir, name);
  if (!manifest?.sha256)
    throw new OffsiteUploadError(`${name} has no complete manifest yet; it is copied once its sha256 is recorded.`);
  const { verification: _verification, ...backup } = manifest;
  const plainBytes = statSync(file).size;
  const encrypted = target.recipient !== null;
  const objectName = encrypted ? `${name}.age` : name;
  const key = objectKey(target, objectName);

  let read = 0;
  const progressed = (bytes: number) => {
    read += bytes;
    onProgress(plainBytes === 0 ? 1 : read / plainBytes);
  };
  const handle = await open(file, "r");
  let uploaded;
  try {
    const fill = encrypted
      ? streamFiller(await encryptStream(fileWebStream(handle, progressed), target.recipient!))
      : fileFiller(async (buffer, offset, length) => {
          const { bytesRead } = await handle.read(buffer, offset, length, null);
          progressed(bytesRead);
          return bytesRead;
        });
    uploaded = await uploadMultipart(
      client,
      {
        Bucket: target.bucket,
        Key: key,
        ContentType: encrypted ? "application/octet-stream" : "application/vnd.sqlite3",
      },
      fill,
      (uploadId) => uploadStarted({ key, uploadId }),
    );
  } finally {
    await handle.close();
  }
  const { sha256, bytes } = uploaded;
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
