// Brings one offsite copy back into the local backup folder, verified, so that the normal restore
// path can take it: download (streamed, hashed) → the object's sha256 against its remote manifest
// → decrypt with the identity given for this fetch only → verifyDatabaseFile (sha256 against the
// backup's manifest, integrity_check, can this version start on it) → manifest, then the final
// name. Anything refused leaves nothing in the folder.
import { createHash } from "node:crypto";
import { KnownError } from "../errors";
import { createWriteStream, existsSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  BackupExistsError,
  commitTempFileAsNew,
  discardTempFile,
  ensureDir,
  isSafeBackupName,
  tempPathFor,
} from "../backup/files";
import { manifestPath, writeManifest, type BackupManifest } from "../backup/manifest";
import { verifyDatabaseFile } from "../backup/verify";
import type { MigrationFile } from "../migrate/files";
import { processSingleton } from "../process-singleton";
import { assertIdentityMatches, decryptStream, fileWebStream, OffsiteIdentityError, parseIdentity } from "./age";
import { readRemoteManifest } from "./remote";
import { objectKey } from "./s3";
import type { OffsiteTarget } from "./target";

export class OffsiteNotFoundError extends KnownError {
  override name = "OffsiteNotFoundError";
  constructor(message: string) {
    super("not_found", "not_found", message);
  }
}

/** The remote copy is not what was uploaded, or not a restorable database. */
export class OffsiteCopyRefusedError extends KnownError {
  override name = "OffsiteCopyRefusedError";
  constructor(message: string) {
    super("unprocessable", "refused", message);
  }
}

/** Another fetch of the same copy is under way in this process. */
export class OffsiteFetchInProgressError extends KnownError {
  override name = "OffsiteFetchInProgressError";
  constructor(name: string) {
    super("conflict", "fetch_in_progress", `${name} is being fetched already; wait for that fetch to finish.`);
  }
}

// The backups being fetched in this process. Two fetches of one copy would both pass the
// "already stored?" check; the one that lost the race to the final name must not touch what the
// winner stored.
const fetchesUnderWay = () => processSingleton("offsite-fetches", () => new Set<string>());

export type FetchedCopy = { name: string; path: string; bytes: number; detail: string };

async function writeHashed(source: Readable, file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  await pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    }),
    createWriteStream(file, { flags: "wx" }),
  );
  return { sha256: hash.digest("hex"), bytes };
}

export async function fetchOffsiteCopy(input: {
  client: S3Client;
  target: OffsiteTarget;
  backupDir: string;
  /** The object's name as listed (`opstage-….db` or `opstage-….db.age`). */
  objectName: string;
  /** What the operator pasted or the identity file holds; needed for encrypted copies only. */
  identityText?: string | null;
  shipped: MigrationFile[];
}): Promise<FetchedCopy> {
  const { client, target, backupDir, objectName } = input;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.db(\.age)?$/.test(objectName) || objectName.includes("..")) {
    throw new OffsiteNotFoundError(
      `"${objectName}" is not the name of an offsite copy (opstage-….db or opstage-….db.age).`,
    );
  }
  const remote = await readRemoteManifest(client, target, objectName);
  if (!remote)
    throw new OffsiteNotFoundError(
      `No offsite copy named ${objectName} under ${target.bucket}/${target.prefix}; list them with \`opstage offsite list\`.`,
    );
  const name = remote.backup.name;
  if (!isSafeBackupName(name))
    throw new OffsiteCopyRefusedError(`The manifest of ${objectName} names an unsafe backup file (${name}).`);
  // turbopackIgnore on these run-time paths: without it Next's file tracer cannot bound
  // path.join(dir, `${name}.json`) and copies every .json file of the project into the image.
  const finalPath = path.join(/* turbopackIgnore: true */ backupDir, name);
  if (existsSync(finalPath)) throw new BackupExistsError(name);
  const claim = path.resolve(finalPath);
  if (fetchesUnderWay().has(claim)) throw new OffsiteFetchInProgressError(name);
  fetchesUnderWay().add(claim);
  try {
    return await fetchClaimed({ ...input, remote, name, finalPath });
  } finally {
    fetchesUnderWay().delete(claim);
  }
}

async function fetchClaimed(
  input: Parameters<typeof fetchOffsiteCopy>[0] & {
    remote: NonNullable<Awaited<ReturnType<typeof readRemoteManifest>>>;
    name: string;
    finalPath: string;
  },
): Promise<FetchedCopy> {
  const { client, target, backupDir, objectName, remote, name, finalPath } = input;

  const recipient = remote.object.recipient;
  let identity: string | null = null;
  if (recipient) {
    if (!input.identityText?.trim()) {
      throw new OffsiteIdentityError(
        `${objectName} is encrypted to ${recipient}: give its age identity (AGE-SECRET-KEY-1…) to fetch it.`,
      );
    }
    identity = parseIdentity(input.identityText);
    // Before downloading anything: a wrong key is named at once, not after a gigabyte.
    await assertIdentityMatches(identity, recipient, objectName);
  }

  ensureDir(backupDir);
  const downloaded = tempPathFor(backupDir, objectName);
  const plain = recipient ? tempPathFor(backupDir, name) : downloaded;
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: target.bucket, Key: objectKey(target, objectName) }),
    );
    const received = await writeHashed(response.Body as Readable, downloaded);
    if (received.sha256 !== remote.object.sha256 || received.bytes !== remote.object.bytes) {
      throw new OffsiteCopyRefusedError(
        `The offsite copy ${objectName} is damaged: it has ${received.bytes} bytes with sha256 ${received.sha256.slice(0, 12)}…, ` +
          `but ${remote.object.bytes} bytes with sha256 ${remote.object.sha256.slice(0, 12)}… were uploaded. Nothing was stored; fetch another copy.`,
      );
    }
    let plainSha256: string | undefined = recipient ? undefined : received.sha256;
    if (recipient) {
      try {
        const handle = await open(downloaded, "r");
        try {
          plainSha256 = (await writeHashed(await decryptStream(fileWebStream(handle), identity!), plain)).sha256;
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw new OffsiteCopyRefusedError(
          `${objectName} could not be decrypted (${(error as Error).message}). Nothing was stored.`,
        );
      } finally {
        discardTempFile(downloaded);
      }
    }
    const check = await verifyDatabaseFile(plain, input.shipped, remote.backup.sha256, { sha256: plainSha256 });
    if (!check.restorable) {
      throw new OffsiteCopyRefusedError(
        `The offsite copy ${objectName} cannot be restored: ${check.detail} Nothing was stored.`,
      );
    }
    const { sha256, lastMigration: _last, pendingMigrations: _pending, ...verification } = check;
    const manifest: BackupManifest = { ...remote.backup, sha256, bytes: statSync(plain).size, verification };
    // Checked again: a backup of that name may have been stored (another process) meanwhile, and
    // its manifest must not be replaced or removed.
    if (existsSync(finalPath)) throw new BackupExistsError(name);
    await writeManifest(backupDir, manifest);
    try {
      await commitTempFileAsNew(plain, finalPath);
    } catch (error) {
      // The name taken after all: the manifest now describes that backup; leave it.
      if (!(error instanceof BackupExistsError)) rmSync(manifestPath(backupDir, name), { force: true });
      throw error;
    }
    return { name, path: finalPath, bytes: manifest.bytes, detail: check.detail };
  } finally {
    discardTempFile(downloaded);
    discardTempFile(plain);
  }
}
