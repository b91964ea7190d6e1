// Stamps every request's TCP peer address into a header before Next.js sees the request, so the
// app can tell the real client from a forged X-Forwarded-For (see lib/auth/client-address.ts).
// Next's standalone server.js creates its own http.Server, so the stamp is made where every
// server emits its requests; a value sent by the client under the same name is overwritten.
import { Server, type IncomingMessage } from "node:http";
import { PEER_HEADER } from "../lib/auth/client-address";

export function stampPeerAddresses(): void {
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const request = args[0] as IncomingMessage;
      request.headers[PEER_HEADER] = request.socket.remoteAddress ?? "";
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof Server.prototype.emit;
}
