// age encryption of offsite copies, streamed. The server holds only the recipient (public key):
// it can encrypt, never decrypt. The identity (private key) is given for one fetch and dropped.
import { Readable } from "node:stream";
import { KnownError } from "../errors";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { FileHandle } from "node:fs/promises";

// age-encryption (and its @noble/@scure cryptography, ~1 MB of source) is loaded on first use, not
// with the server: start-up imports this module through the offsite queue.
const ageLibrary = () => import("age-encryption");

const FILE_CHUNK_BYTES = 64 * 1024;

export const IDENTITY_PATTERN = /^AGE-SECRET-KEY-1[02-9ACDEFGHJKLMNPQRSTUVWXYZ]{58}$/;

export class OffsiteIdentityError extends KnownError {
  override name = "OffsiteIdentityError";
  constructor(message: string) {
    super("invalid", "invalid_identity", message);
  }
}

/** Ciphertext of `plaintext` for `recipient` (age's 64 KiB chunks), pulled as it is read. */
export async function encryptStream(
  plaintext: ReadableStream<Uint8Array>,
  recipient: string,
): Promise<ReadableStream<Uint8Array>> {
  const { Encrypter } = await ageLibrary();
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

/**
 * A file as a pull-only web stream: a chunk is read only when the consumer asks for one.
 * (Readable.toWeb() on Node 20 reads ahead of a slow consumer.)
 */
export function fileWebStream(
  handle: FileHandle,
  onRead: (bytes: number) => void = () => {},
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = new Uint8Array(FILE_CHUNK_BYTES);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) {
          controller.close();
          return;
        }
        onRead(bytesRead);
        controller.enqueue(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The identity from what an operator pasted or a file holds: the one `AGE-SECRET-KEY-1…` line
 * (age-keygen writes comment lines above it). The key itself never appears in an error.
 */
export function parseIdentity(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const keys = lines.filter((line) => IDENTITY_PATTERN.test(line));
  if (keys.length !== 1 || lines.length !== 1) {
    throw new OffsiteIdentityError(
      keys.length > 1
        ? "Give one age identity, not several."
        : "That is not an age identity: it is one line starting with AGE-SECRET-KEY-1 (the file age-keygen wrote).",
    );
  }
  return keys[0]!;
}

/** Throws OffsiteIdentityError when `identity` is not the key `recipient` encrypts to. */
export async function assertIdentityMatches(identity: string, recipient: string, objectName: string): Promise<void> {
  const { identityToRecipient } = await ageLibrary();
  const mine = await identityToRecipient(identity);
  if (mine !== recipient) {
    throw new OffsiteIdentityError(
      `This identity cannot decrypt ${objectName}: it was encrypted to ${recipient}, and the identity given belongs to ${mine}. Give the identity whose public key is ${recipient}.`,
    );
  }
}

/** Plaintext of an age `ciphertext` stream, as a Node stream. */
export async function decryptStream(ciphertext: ReadableStream<Uint8Array>, identity: string): Promise<Readable> {
  const { Decrypter } = await ageLibrary();
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  const out = await decrypter.decrypt(ciphertext);
  return Readable.fromWeb(out as unknown as WebReadableStream<Uint8Array>);
}
