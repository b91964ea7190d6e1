// The address a request came from. Next.js passes the client address to route handlers only as
// X-Forwarded-For, which it fills from the socket only when the client did not send one, so any
// client could name any address. `opstage serve` stamps the TCP peer into PEER_HEADER (replacing
// whatever a client sent, see cli/peer-address.ts); X-Forwarded-For is believed only when that
// peer is a proxy named in OPSTAGE_TRUST_PROXY, and then only the hops those proxies added.
import { isIP } from "node:net";

export const PEER_HEADER = "x-opstage-peer";

type HeaderGetter = (name: string) => string | null | undefined;

/** "::ffff:10.0.0.1" (an IPv4 client on a dual-stack socket) is 10.0.0.1. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

export function clientAddress(header: HeaderGetter, trustedProxies: readonly string[]): string | null {
  const peerValue = header(PEER_HEADER);
  if (!peerValue) return null;
  let address = normalizeAddress(peerValue);
  if (!trustedProxies.includes(address)) return address;
  // Walk the forwarded chain from the nearest hop while it is one of our proxies.
  const hops = (header("x-forwarded-for") ?? "")
    .split(",")
    .map(normalizeAddress)
    .filter((hop) => isIP(hop) !== 0);
  while (hops.length > 0 && trustedProxies.includes(address)) address = hops.pop()!;
  return address;
}
