// One use of the configured target (list, fetch, test): load it, open a client, and turn S3's
// failures into one line that names the store and never the secret.
import type { S3Client } from "@aws-sdk/client-s3";
import { KnownError } from "../errors";
import type { Config } from "../config";
import { describeS3Error, s3ClientFor } from "./s3";
import { loadOffsiteTarget, OffsiteConfigError, type OffsiteTarget } from "./target";

/** The store did not answer as expected (down, wrong endpoint, denied). */
export class OffsiteUnreachableError extends KnownError {
  override name = "OffsiteUnreachableError";
  constructor(message: string) {
    super("unreachable", "offsite_unreachable", message);
  }
}

// Errors of Opstage's own that pass through unchanged; anything else came from S3 or the network.
const OWN_ERRORS = new Set([
  "OffsiteConfigError",
  "OffsiteIdentityError",
  "OffsiteNotFoundError",
  "OffsiteCopyRefusedError",
  "OffsiteFetchInProgressError",
  "BackupExistsError",
  "BackupNameError",
]);

export async function withOffsiteTarget<T>(
  config: Pick<Config, "offsite">,
  fn: (client: S3Client, target: OffsiteTarget) => Promise<T>,
  options: { useDatabase?: boolean } = {},
): Promise<T> {
  const target = await loadOffsiteTarget(config, options.useDatabase ?? true);
  if (!target) {
    throw new OffsiteConfigError(
      "No offsite target is configured: set one in Settings → Backups → Offsite, or with the OPSTAGE_OFFSITE_BUCKET, _ACCESS_KEY_ID and _SECRET_ACCESS_KEY variables.",
    );
  }
  const client = s3ClientFor(target);
  try {
    return await fn(client, target);
  } catch (error) {
    if (error instanceof Error && OWN_ERRORS.has(error.name)) throw error;
    throw new OffsiteUnreachableError(
      `The offsite store ${target.endpoint ?? "AWS S3"} (bucket ${target.bucket}): ${describeS3Error(error, target)}`,
    );
  } finally {
    client.destroy();
  }
}
