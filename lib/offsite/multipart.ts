// A streamed multipart upload in constant memory: parts are filled into two reused buffers, one
// uploading while the next fills.
//
// Not @aws-sdk/lib-storage's Upload: its chunker concatenates every part into a new buffer
// (Buffer.concat) and keeps the previous one alive through the remainder's subarray, so memory
// follows the garbage collector rather than the part size — a 200 MB file grew a bare Node
// process by ~92 MB here, a Next server by more. These are the SDK's own multipart commands,
// signed by the SDK.
import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";

/** 8 MiB parts: S3's minimum is 5 MiB (all but the last); 10,000 parts make 80 GB. */
export const PART_BYTES = 8 * 1024 * 1024;

/** Fills `buffer` from the start; returns how many bytes it wrote (less than its size only at the end). */
export type Filler = (buffer: Buffer) => Promise<number>;

export type MultipartResult = { sha256: string; bytes: number; parts: number };

/**
 * `started` is told the upload's id before the first part is sent, so that it can be recorded:
 * a process killed mid-upload leaves billed parts that the next one aborts by that id.
 */
export async function uploadMultipart(
  client: S3Client,
  params: { Bucket: string; Key: string; ContentType: string },
  fill: Filler,
  started: (uploadId: string) => Promise<void> = async () => {},
): Promise<MultipartResult> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand(params));
  if (!UploadId) throw new Error("the store started no multipart upload (no UploadId)");
  await started(UploadId);
  const buffers = [Buffer.allocUnsafeSlow(PART_BYTES), Buffer.allocUnsafeSlow(PART_BYTES)];
  const inFlight: (Promise<void> | null)[] = [null, null];
  const completed: CompletedPart[] = [];
  const hash = createHash("sha256");
  let bytes = 0;
  let partNumber = 0;
  // A part that fails while the next one is filling is remembered here, not left as an
  // unhandled rejection.
  let failure: unknown = null;
  try {
    for (let slot = 0; ; slot = 1 - slot) {
      await inFlight[slot]; // this buffer is free again once its part is stored
      if (failure) throw failure;
      const buffer = buffers[slot]!;
      const length = await fill(buffer);
      if (length === 0 && partNumber > 0) break;
      const body = buffer.subarray(0, length);
      hash.update(body);
      bytes += length;
      const number = ++partNumber;
      inFlight[slot] = client
        .send(
          new UploadPartCommand({
            Bucket: params.Bucket,
            Key: params.Key,
            UploadId,
            PartNumber: number,
            Body: body,
            ContentLength: length,
          }),
        )
        .then((part) => {
          completed.push({ ETag: part.ETag, PartNumber: number });
        })
        .catch((error: unknown) => {
          failure ??= error;
        });
      if (length < buffer.length) break;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId,
        MultipartUpload: { Parts: completed },
      }),
    );
    return { sha256: hash.digest("hex"), bytes, parts: partNumber };
  } catch (error) {
    await Promise.allSettled(inFlight);
    // Parts of an abandoned upload are billed until aborted.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: params.Bucket, Key: params.Key, UploadId }))
      .catch(() => {});
    throw error;
  }
}

export type AbandonedUpload = { key: string; uploadId: string };

/**
 * Aborts the incomplete multipart uploads under `prefix` that were started before `before` (a
 * process killed mid-upload leaves them, and a bucket bills for their parts until they are
 * aborted), plus the `known` ones recorded by this app. Listing needs s3:ListBucketMultipartUploads
 * and is not implemented by every S3-compatible store: without it, only the known ones are
 * aborted. Returns what was aborted; throws only when nothing could be done.
 */
export async function abortAbandonedUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  before: Date,
  known: AbandonedUpload[] = [],
): Promise<{ aborted: AbandonedUpload[]; listError: string | null }> {
  const found = new Map(known.map((upload) => [upload.uploadId, upload]));
  let listError: string | null = null;
  try {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        if (upload.Initiated && upload.Initiated >= before) continue; // under way in this process
        found.set(upload.UploadId, { key: upload.Key, uploadId: upload.UploadId });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  } catch (error) {
    listError = (error as Error).message;
  }
  const aborted: AbandonedUpload[] = [];
  for (const upload of found.values()) {
    try {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }),
      );
      aborted.push(upload);
    } catch (error) {
      // Already completed or aborted: S3 answers NoSuchUpload, and there is nothing left to bill.
      if ((error as { name?: string }).name === "NoSuchUpload") aborted.push(upload);
      else listError ??= (error as Error).message;
    }
  }
  return { aborted, listError };
}

/** A Filler reading a file through its handle, straight into the part buffer. */
export function fileFiller(read: (buffer: Buffer, offset: number, length: number) => Promise<number>): Filler {
  return async (buffer) => {
    let filled = 0;
    while (filled < buffer.length) {
      const n = await read(buffer, filled, buffer.length - filled);
      if (n === 0) break;
      filled += n;
    }
    return filled;
  };
}

/** A Filler copying a web stream's chunks into the part buffer (a chunk may span two parts). */
export function streamFiller(stream: ReadableStream<Uint8Array>): Filler {
  const reader = stream.getReader();
  let pending: Uint8Array | null = null;
  let done = false;
  return async (buffer) => {
    let filled = 0;
    while (filled < buffer.length) {
      if (!pending || pending.length === 0) {
        if (done) break;
        const next = await reader.read();
        if (next.done) {
          done = true;
          break;
        }
        pending = next.value;
      }
      const take = Math.min(pending.length, buffer.length - filled);
      buffer.set(pending.subarray(0, take), filled);
      filled += take;
      pending = pending.subarray(take);
    }
    return filled;
  };
}
