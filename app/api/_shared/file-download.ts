// Backup files over HTTP with their size announced (Content-Length), from a stored file or from
// one still being written: the download route starts sending the snapshot while it is copied.
// Once the status and size are sent, a failure can only cut the connection short, and the
// announced length makes every client (curl -f, browsers, fetch) report the transfer incomplete.
import { open } from "node:fs/promises";
import { ServerResponse } from "node:http";
import type { NextApiResponse } from "next";
import { COPY_CHUNK_BYTES } from "@/lib/backup/chunk-pool";
import { logger } from "@/lib/log";

// The snapshot's chunk size, for the same reason (chunk-pool.ts): the reads from the file come
// when the socket has fallen behind, and each buffer is resident once touched.
const READ_CHUNK_BYTES = COPY_CHUNK_BYTES;

type Lent = { position: number; chunk: Buffer; giveBack: () => void };

// Each download's two read buffers are kept for the next download rather than left to the
// garbage collector, like the snapshot's chunk pools (lib/backup/chunk-pool.ts): memory outside
// V8's heap stays resident until a major collection, minutes apart in this server. One pair per
// download that ran at the same time as others.
const idleReadBuffers: Buffer[][] = [];

/**
 * A file being written front to back, of a size known in advance. Its last byte is held back
 * until the writer says the file is complete (committed), so that a reader can never deliver a
 * whole-looking file the writer then failed to keep.
 *
 * The writer may also lend chunks as it reads them, before they are in the file (lend()): the
 * reader sends those from memory and reads the rest from the file.
 */
export class GrowingFile {
  // Up to bytes - 1 while written (advance), all of it once kept (complete).
  #available = 0;
  #failure: Error | null = null;
  #lent: Lent[] = [];
  #lending = true;
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {}

  /** The first `position` bytes are written. */
  advance(position: number): void {
    this.#available = Math.max(this.#available, Math.min(position, this.bytes - 1));
    this.#wake();
  }

  /** All of it is written and kept. */
  complete(): void {
    this.#available = this.bytes;
    this.#wake();
  }

  /** The writer gave up: readers waiting for more bytes get `error`. */
  fail(error: Error): void {
    this.#failure = error;
    this.#wake();
  }

  /** Bytes from `position` as the writer read them, until giveBack() (once, used or not). */
  lend(position: number, chunk: Buffer, giveBack: () => void): void {
    if (!this.#lending) return giveBack();
    this.#lent.push({ position, chunk, giveBack });
    this.#wake();
  }

  /**
   * The lent bytes from `position` (at most up to the held-back last byte), now the caller's to
   * give back; lent chunks wholly before `position` are given back here. Null when none is lent.
   */
  takeLent(position: number): { chunk: Buffer; giveBack: () => void } | null {
    this.#lent = this.#lent.filter((lent) => {
      if (lent.position + lent.chunk.length > position) return true;
      lent.giveBack(); // the reader is past it: never sent
      return false;
    });
    const lent = this.#lentCovering(position);
    if (!lent) return null;
    this.#lent.splice(this.#lent.indexOf(lent), 1);
    const end = Math.min(lent.position + lent.chunk.length, this.#sendableEnd());
    return { chunk: lent.chunk.subarray(position - lent.position, end - lent.position), giveBack: lent.giveBack };
  }

  /** Where reading the file from `position` should stop: what is written, or the next lent chunk. */
  fileReadEnd(position: number): number {
    let end = this.#available;
    for (const lent of this.#lent) if (lent.position > position) end = Math.min(end, lent.position);
    return end;
  }

  /** The reader is done: every chunk lent now or later goes straight back. */
  stopLending(): void {
    this.#lending = false;
    for (const lent of this.#lent) lent.giveBack();
    this.#lent = [];
  }

  /**
   * Resolves once more bytes than `position` can be read from the file or are lent; rejects once
   * the writer failed, whatever is still lent.
   */
  async more(position: number): Promise<void> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#available > position || this.#lentCovering(position)) return;
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
  }

  /** Lent bytes may be sent up to here: all but the last byte until the file is kept. */
  #sendableEnd(): number {
    return this.#available === this.bytes ? this.bytes : this.bytes - 1;
  }

  /** The lent chunk holding `position`, if that byte may be sent. */
  #lentCovering(position: number): Lent | undefined {
    if (position >= this.#sendableEnd()) return undefined;
    return this.#lent.find((lent) => lent.position <= position && position < lent.position + lent.chunk.length);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (this.#failure) waiter.reject(this.#failure);
      else waiter.resolve();
    }
  }
}

/** A stored file: all of it is there. */
export function completeFile(path: string, bytes: number): GrowingFile {
  const file = new GrowingFile(path, bytes);
  file.complete();
  return file;
}

export function sendDownloadHeaders(res: NextApiResponse, name: string, bytes: number): void {
  res.writeHead(200, {
    "Content-Type": "application/vnd.sqlite3",
    "Content-Length": String(bytes),
    "Content-Disposition": `attachment; filename="${name}"`,
    // no-transform also keeps Next's response compression off, whatever the client accepts.
    "Cache-Control": "no-store, no-transform",
    "X-Content-Type-Options": "nosniff",
  });
  // Node holds the head back until the first body write; the client (and its progress bar)
  // learns the status and size now.
  res.flushHeaders();
}

/**
 * Sends `file` (headers already sent) and ends the response; on any failure — the writer's, a
 * read error, a file shorter than announced — cuts the connection instead. When the client
 * disconnects the transfer stops; the file itself is never touched.
 */
export async function sendFileBody(res: NextApiResponse, file: GrowingFile, name: string): Promise<void> {
  try {
    await writeFileToResponse(res, file);
    res.end();
  } catch (error) {
    logger().warn(`download of ${name} ended early: ${(error as Error).message}`);
    res.destroy();
  }
}

/** A stored backup, with its size announced. */
export async function sendBackupFile(res: NextApiResponse, path: string, name: string, bytes: number): Promise<void> {
  sendDownloadHeaders(res, name, bytes);
  await sendFileBody(res, completeFile(path, bytes), name);
}

/**
 * Writes `chunk` to the response; resolves once the socket has handed all of it to the kernel,
 * when its memory may be reused (rejects when the connection failed first).
 *
 * Why the write callback, and not 'drain': a 'drain' on the response does not mean its socket is
 * empty. With pipelined requests on one connection, every write of a queued response makes Node
 * emit 'drain' on the active one while its socket still holds megabytes (http server,
 * updateOutgoingData → socketOnDrain); a buffer reused then went out as other bytes, in a
 * transfer of the announced length. The callback of each write is exact.
 *
 * Why ServerResponse.prototype.write: Next wraps every response's write() in its compression
 * middleware, which drops the callback. That wrapper passes a no-transform response's bytes
 * straight to this same method, so calling it directly changes nothing else.
 */
function writeOut(res: NextApiResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    nodeWrite.call(res, chunk, (error) => (error ? reject(error) : resolve()));
  });
}
const nodeWrite = ServerResponse.prototype.write as (
  this: ServerResponse,
  chunk: Buffer,
  callback: (error?: Error | null) => void,
) => boolean;

/**
 * `gone` rejects when the client has gone (never resolves); stop() lets go of the connection. A
 * pipelined response still queued behind another has no socket and gets no 'close' of its own:
 * the request's connection tells.
 */
function watchClient(res: NextApiResponse): { gone: Promise<never>; stop: () => void } {
  const connection = res.socket ?? res.req?.socket;
  let leave = () => {};
  const gone = new Promise<never>((_, reject) => {
    leave = () => reject(new Error("the client disconnected"));
  });
  gone.catch(() => {}); // 'close' also follows a complete response: not an error then.
  // The client may have left during the snapshot already: no 'close' event would come then.
  if (res.destroyed || connection?.destroyed) leave();
  res.once("close", leave);
  connection?.once("close", leave);
  return {
    gone,
    // A keep-alive connection serves more requests: no listener of this one stays on it.
    stop: () => {
      res.off("close", leave);
      connection?.off("close", leave);
    },
  };
}

/**
 * Copies a file into the response: the chunks the writer lends (GrowingFile.lend) from memory as
 * they come, the rest read from the file through two reused buffers once written (GrowingFile)
 * — from the page cache, for a file being written right now. One chunk is on its way to the
 * kernel while the next is read (or lent); each buffer, and each lent chunk, is free again once
 * its own write has called back (writeOut).
 *
 * Why not createReadStream().pipe(res): it allocates a fresh buffer for every chunk, and in this
 * server (Next's large heap) the garbage collection of that much external memory cost about as
 * much as the transfer itself (profiled on a 1 GB backup: GC 0.6 s per GB, the download running
 * at half the speed of the same stream in a bare Node server).
 */
async function writeFileToResponse(res: NextApiResponse, file: GrowingFile): Promise<void> {
  // Opened once, before anything can rename or remove the path: the descriptor keeps reading the
  // same file after the snapshot is renamed to its final name.
  const handle = await open(file.path, "r");
  let buffers: Buffer[] | null = null; // allocated when the first chunk must be read from the file
  // Lent chunks written but not yet called back: after a failure they go back once the
  // connection is cut (nothing is sent from them after that).
  const inFlight = new Set<() => void>();
  const client = watchClient(res);
  const disconnected = client.gone;
  let previous: Promise<void> = Promise.resolve();
  let sent = false;
  try {
    let position = 0;
    for (let turn = 0; position < file.bytes; turn ^= 1) {
      await Promise.race([file.more(position), disconnected]);
      const lent = file.takeLent(position);
      let chunk: Buffer;
      if (lent) {
        chunk = lent.chunk;
      } else {
        // This buffer's last write called back before the one after it was written (below).
        buffers ??= idleReadBuffers.pop() ?? [
          Buffer.allocUnsafeSlow(READ_CHUNK_BYTES),
          Buffer.allocUnsafeSlow(READ_CHUNK_BYTES),
        ];
        const length = Math.min(READ_CHUNK_BYTES, file.fileReadEnd(position) - position);
        const { bytesRead } = await Promise.race([handle.read(buffers[turn]!, 0, length, position), disconnected]);
        if (bytesRead === 0) throw new Error(`the file ends at byte ${position}, before the ${file.bytes} announced`);
        chunk = buffers[turn]!.subarray(0, bytesRead);
      }
      position += chunk.length;
      await Promise.race([previous, disconnected]); // the chunk before is in the kernel
      previous = writeOut(res, chunk);
      previous.catch(() => {}); // awaited above or below; a failure meanwhile is the connection's
      if (lent) {
        inFlight.add(lent.giveBack);
        void previous.then(
          () => {
            inFlight.delete(lent.giveBack);
            lent.giveBack();
          },
          () => {},
        );
      }
    }
    await Promise.race([previous, disconnected]);
    sent = true;
  } catch (error) {
    // Cut before any lent chunk goes back: the socket must not send one the copy then reuses.
    res.destroy();
    throw error;
  } finally {
    client.stop();
    for (const giveBack of inFlight) giveBack();
    // Only after a whole transfer: a failed one may have left a read into them running in
    // libuv's pool (the race above stops waiting for it, not the read itself).
    if (buffers && sent) idleReadBuffers.push(buffers);
    file.stopLending();
    await handle.close();
  }
}
