// Alert receivers started by the tests on 127.0.0.1: a webhook endpoint (node:http) and an SMTP
// server (smtp-server), each recording what it received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { SMTPServer } from "smtp-server";

export type ReceivedWebhook = { headers: IncomingMessage["headers"]; body: string; json: Record<string, unknown> };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  close: () => Promise<void>;
};

/** Answers every POST 204 and records it; on `port` when given (a receiver that comes back). */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: request.headers, body, json: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(204).end();
    });
  });
  const url = await listen(server, port);
  return { url, received, close: () => close(server) };
}

export type HangingReceiver = { url: string; requests: () => number; close: () => Promise<void> };

/** Accepts requests and never answers them: the worst receiver there is. */
export async function startHangingReceiver(): Promise<HangingReceiver> {
  let requests = 0;
  const open: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    requests++;
    open.push(response);
  });
  const url = await listen(server);
  return {
    url,
    requests: () => requests,
    close: async () => {
      for (const response of open) response.socket?.destroy();
      await close(server);
    },
  };
}

export type PingReceiver = {
  url: string;
  /** Each request's method and path, in order. */
  received: { method: string; path: string }[];
  /** The status the next requests get (200 unless set). */
  answerWith: (status: number) => void;
  close: () => Promise<void>;
};

/** A heartbeat monitor (healthchecks.io, Uptime Kuma): records each ping. */
export async function startPingReceiver(): Promise<PingReceiver> {
  const received: PingReceiver["received"] = [];
  let status = 200;
  const server = createServer((request, response) => {
    received.push({ method: request.method ?? "", path: request.url ?? "" });
    request.resume();
    response.writeHead(status).end("OK");
  });
  const url = await listen(server);
  return { url, received, answerWith: (next) => (status = next), close: () => close(server) };
}

export type ReceivedMail = { from: string; to: string[]; raw: string; subject: string };
export type SmtpReceiver = { port: number; received: ReceivedMail[]; close: () => Promise<void> };

/** A plain SMTP server (no TLS, no authentication) that accepts every message. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? "",
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function listen(server: Server, port = 0): Promise<string> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  (server as Server & { sockets?: Set<Socket> }).sockets = sockets;
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function close(server: Server): Promise<void> {
  for (const socket of (server as Server & { sockets?: Set<Socket> }).sockets ?? []) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
