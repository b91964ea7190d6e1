// The S3 client for an offsite target, object keys, and the error text that may leave this
// module. Any S3-compatible store: endpoint and path-style addressing are the owner's choice.
import { S3Client } from "@aws-sdk/client-s3";
import type { OffsiteTarget } from "./target";

export function s3ClientFor(target: OffsiteTarget): S3Client {
  return new S3Client({
    region: target.region,
    endpoint: target.endpoint ?? undefined,
    forcePathStyle: target.pathStyle,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // Newer SDKs add CRC32 checksums to every upload and check them on every download by default;
    // many S3-compatible stores (MinIO before 2025, Ceph, s3rver) reject or omit them. The
    // object's sha256 is recorded in its manifest and checked on the way back instead.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The copy queue retries with its own, longer backoff and records each attempt.
    maxAttempts: 2,
  });
}

/** `<prefix>/<name>`: the key of an object under the target's prefix. */
export function objectKey(target: Pick<OffsiteTarget, "prefix">, name: string): string {
  return target.prefix ? `${target.prefix}/${name}` : name;
}

/** The listing prefix: every key of this target starts with it. */
export function keyPrefix(target: Pick<OffsiteTarget, "prefix">): string {
  return target.prefix ? `${target.prefix}/` : "";
}

/**
 * An S3 failure as one line for the console, the log and the audit log. The SDK's messages name
 * the request, never the secret; the secret is cut out anyway, in case a proxy echoes a header.
 */
export function describeS3Error(error: unknown, target: Pick<OffsiteTarget, "secretAccessKey" | "bucket">): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  let text: string;
  if (e?.code === "ECONNREFUSED" || e?.name === "ECONNREFUSED" || /ECONNREFUSED/.test(e?.message ?? "")) {
    text = "the S3 endpoint refused the connection (is it running and is the endpoint right?)";
  } else if (e?.name === "NoSuchBucket") {
    text = `bucket ${target.bucket} does not exist`;
  } else if (
    e?.name === "InvalidAccessKeyId" ||
    e?.name === "SignatureDoesNotMatch" ||
    e?.$metadata?.httpStatusCode === 403
  ) {
    text = `access denied (${e.name ?? "403"}): check the access key id and secret, and the bucket's policy`;
  } else {
    const status = e?.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : "";
    text = `${e?.name && e.name !== "Error" ? `${e.name}: ` : ""}${e?.message || String(error)}${status}`;
  }
  return redactSecret(text, target.secretAccessKey);
}

export function redactSecret(text: string, secret: string): string {
  return secret ? text.split(secret).join("[secret]") : text;
}
