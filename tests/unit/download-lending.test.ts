// The download sends the chunks the copy lends from memory and reads only the rest from the
// stored file (app/api/_shared/file-download.ts). The lent bytes differ from the file's here, so
// the body shows which way each byte came.
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { NextApiResponse } from "next";
import { GrowingFile, sendDownloadHeaders, sendFileBody } from "../../app/api/_shared/file-download";
import { tempDir } from "../support/temp";

const MB = 1024 * 1024;
const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** A file of `bytes` bytes, every one of them `fill`. */
function fileOf(bytes: number, fill: string): string {
  const file = path.join(tempDir(), "stored.db");
  writeFileSync(file, Buffer.alloc(bytes, fill));
  return file;
}

/** Serves one download of `file` through sendFileBody; `drive` lends, advances and completes it. */
async function serve(file: GrowingFile, drive: (sent: Promise<void>) => void): Promise<string> {
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    const response = res as unknown as NextApiResponse;
    sendDownloadHeaders(response, "stored.db", file.bytes);
    drive(sendFileBody(response, file, "stored.db"));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, resolve).on("error", reject).end());
}

/** Reads the body until `until` bytes have come (all of it by default). */
async function readBody(response: IncomingMessage, until = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= until) break;
  }
  return Buffer.concat(chunks);
}

describe("the download and the copy's lent chunks", () => {
  test("lent chunks are sent from memory, the rest from the file; each goes back once", async () => {
    const file = new GrowingFile(fileOf(3 * MB, "F"), 3 * MB);
    const givenBack = [0, 0];
    const url = await serve(file, () => {
      file.lend(0, Buffer.alloc(MB, "A"), () => givenBack[0]!++);
      file.lend(2 * MB, Buffer.alloc(MB, "C"), () => givenBack[1]!++);
      file.advance(3 * MB);
      file.complete();
    });
    const body = await readBody(await get(url));
    assert.equal(body.length, 3 * MB);
    assert.ok(body.subarray(0, MB).equals(Buffer.alloc(MB, "A")), "the first MB from the lent chunk");
    assert.ok(body.subarray(MB, 2 * MB).equals(Buffer.alloc(MB, "F")), "the second from the file");
    assert.ok(body.subarray(2 * MB).equals(Buffer.alloc(MB, "C")), "the third from the lent chunk");
    assert.deepEqual(givenBack, [1, 1]);
  });

  test("the last byte waits for the copy to be kept, and then comes from the file", async () => {
    const file = new GrowingFile(fileOf(MB, "F"), MB);
    let sent: Promise<void> | undefined;
    let givenBack = 0;
    const url = await serve(file, (sending) => {
      sent = sending;
      file.lend(0, Buffer.alloc(MB, "A"), () => givenBack++);
    });
    const response = await get(url);
    const chunks: Buffer[] = [];
    let length = 0;
    response.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      // All that may be sent before the copy is kept: now keep it.
      if (length === MB - 1) file.complete();
    });
    await once(response, "end");
    await sent;
    const body = Buffer.concat(chunks);
    assert.equal(body.length, MB);
    assert.ok(body.subarray(0, MB - 1).equals(Buffer.alloc(MB - 1, "A")));
    assert.equal(body.subarray(MB - 1).toString(), "F", "the last byte read from the kept file");
    assert.equal(givenBack, 1);
  });

  test("once the copy failed, nothing more is sent, lent or not: the transfer is cut", async () => {
    const file = new GrowingFile(fileOf(2 * MB, "F"), 2 * MB);
    let givenBack = 0;
    const url = await serve(file, () => {
      file.lend(0, Buffer.alloc(MB, "A"), () => givenBack++);
      file.advance(MB);
      file.fail(new Error("the disk is full"));
    });
    const response = await get(url);
    let received = 0;
    response.on("data", (chunk: Buffer) => (received += chunk.length));
    const [error] = (await once(response, "error")) as [Error];
    assert.match(error.message, /aborted/);
    assert.equal(received, 0);
    assert.equal(givenBack, 1);
  });

  test("a client that leaves: chunks lent then and later go straight back, none twice", async () => {
    const file = new GrowingFile(fileOf(8 * MB, "F"), 8 * MB);
    let sent: Promise<void> | undefined;
    const givenBack: number[] = [];
    const url = await serve(file, (sending) => {
      sent = sending;
    });
    const response = await get(url);
    response.destroy();
    await sent;
    for (let chunk = 0; chunk < 8; chunk++) file.lend(chunk * MB, Buffer.alloc(MB, "A"), () => givenBack.push(chunk));
    assert.deepEqual(givenBack, [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
