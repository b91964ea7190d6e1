// "Test connection": write a small object, read it back, delete it, and say which step failed.
import { randomBytes } from "node:crypto";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describeS3Error, objectKey, s3ClientFor } from "./s3";
import type { OffsiteTarget } from "./target";

export type ConnectionStep = "write" | "read back" | "compare" | "delete";
export type ConnectionTestResult =
  { ok: true; key: string; ms: number } | { ok: false; step: ConnectionStep; message: string };

export async function testOffsiteConnection(target: OffsiteTarget): Promise<ConnectionTestResult> {
  const client = s3ClientFor(target);
  const key = objectKey(target, `.opstage-connection-test-${randomBytes(6).toString("hex")}`);
  const body = randomBytes(64).toString("hex");
  const startedAt = Date.now();
  let step: ConnectionStep = "write";
  try {
    await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body, ContentType: "text/plain" }));
    step = "read back";
    const read = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    const text = await read.Body!.transformToString();
    step = "compare";
    if (text !== body) {
      return {
        ok: false,
        step,
        message: `Read back ${text.length} characters that differ from the ${body.length} written: the store does not return what it was given.`,
      };
    }
    step = "delete";
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
    return { ok: true, key, ms: Date.now() - startedAt };
  } catch (error) {
    return { ok: false, step, message: `${step} failed: ${describeS3Error(error, target)}` };
  } finally {
    client.destroy();
  }
}
