// The download sends the chunks the copy lends from memory and reads only the rest from the
// stored file (app/api/_shared/file-download.ts). The lent bytes differ from the file's here, so
// the body shows which way each byte came.
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { NextApiResponse } from "next";
import { completeFile, GrowingFile, sendDownloadHeaders, sendFileBody } from "../../app/api/_shared/file-download";
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

/** A file whose every 4 MB is one letter: A, B, C… (bytes sent twice or out of place show). */
function letteredFile(chunks: number): string {
  const file = path.join(tempDir(), "stored.db");
  const letters = Array.from({ length: chunks }, (_, i) => Buffer.alloc(4 * MB, String.fromCharCode(65 + i)));
  writeFileSync(file, Buffer.concat(letters));
  return file;
}

/**
 * Two requests pipelined on one connection, the client not reading until the second response
 * has bytes queued behind the first (its writes then make Node emit 'drain' on the first while
 * the first's socket still holds megabytes); then both bodies, by their Content-Length.
 */
async function pipelinedPair(respond: (index: number, res: NextApiResponse) => void): Promise<[Buffer, Buffer]> {
  const responses: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    responses.push(res);
    respond(responses.length, res as unknown as NextApiResponse);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(socket, "connect");
  socket.pause();
  socket.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!(responses[1] && responses[1].writableLength > 0)) await new Promise((resolve) => setImmediate(resolve));
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  const bodies: Buffer[] = [];
  for (;;) {
    let all = Buffer.concat(chunks);
    for (const _ of bodies) {
      const headEnd = all.indexOf("\r\n\r\n") + 4;
      all = all.subarray(headEnd + Number(/content-length: (\d+)/i.exec(all.toString("latin1", 0, headEnd))![1]));
    }
    const headEnd = all.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const length = Number(/content-length: (\d+)/i.exec(all.toString("latin1", 0, headEnd))![1]);
      if (all.length >= headEnd + 4 + length) {
        bodies.push(Buffer.from(all.subarray(headEnd + 4, headEnd + 4 + length)));
        if (bodies.length === 2) break;
        continue;
      }
    }
    await once(socket, "data");
  }
  socket.destroy();
  return [bodies[0]!, bodies[1]!];
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

  test("pipelined downloads on one connection: a stored file's buffers are reused only once written", async () => {
    const [first, second] = await pipelinedPair((index, res) => {
      const file = index === 1 ? letteredFile(6) : fileOf(8 * MB, "z");
      sendDownloadHeaders(res, "stored.db", index === 1 ? 24 * MB : 8 * MB);
      void sendFileBody(res, completeFile(file, index === 1 ? 24 * MB : 8 * MB), "stored.db");
    });
    const letters = Array.from({ length: 6 }, (_, i) => Buffer.alloc(4 * MB, String.fromCharCode(65 + i)));
    assert.ok(first.equals(Buffer.concat(letters)), "the first body is the file, chunk for chunk");
    assert.ok(second.equals(Buffer.alloc(8 * MB, "z")));
  });

  test("pipelined downloads on one connection: a lent chunk goes back only once written", async () => {
    const [first, second] = await pipelinedPair((index, res) => {
      const fill = index === 1 ? "A" : "B";
      const file = new GrowingFile(fileOf(24 * MB, "F"), 24 * MB);
      sendDownloadHeaders(res, "stored.db", file.bytes);
      void sendFileBody(res, file, "stored.db");
      for (let chunk = 0; chunk < 3; chunk++) {
        const lent = Buffer.alloc(8 * MB, fill);
        // What the copy does with a slot given back: reads the next chunk into it.
        file.lend(chunk * 8 * MB, lent, () => lent.fill("X"));
      }
      file.advance(24 * MB);
      file.complete();
    });
    assert.ok(first.equals(Buffer.alloc(24 * MB, "A")), "no byte of a chunk given back too early");
    assert.ok(second.equals(Buffer.alloc(24 * MB, "B")));
  });

  test("downloads one after another on a keep-alive connection leave no listener on it", async () => {
    const file = fileOf(MB, "F");
    const downloads: { connection: Socket; sent: Promise<unknown> }[] = [];
    const server = createServer((_req, res) => {
      const response = res as unknown as NextApiResponse;
      sendDownloadHeaders(response, "stored.db", MB);
      const connection = res.socket!;
      // Done once Node has let go of the connection too ('finish'), not only this code.
      const finished = once(res, "finish");
      void sendFileBody(response, completeFile(file, MB), "stored.db");
      downloads.push({ connection, sent: finished });
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const listeners: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await new Promise<IncomingMessage>((resolve, reject) =>
        request(url, { agent }, resolve).on("error", reject).end(),
      );
      assert.equal((await readBody(response)).length, MB);
      // The client has every byte; the server lets go of it just after (sendFileBody stops
      // watching the connection before it ends the response).
      await downloads[i]!.sent;
      listeners.push(downloads[i]!.connection.listenerCount("close"));
    }
    agent.destroy();
    assert.equal(new Set(downloads.map((download) => download.connection)).size, 1, "one connection for all");
    assert.equal(new Set(listeners).size, 1, `'close' listeners after each download: ${listeners.join(", ")}`);
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
