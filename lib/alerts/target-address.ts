// Where an alert may be sent. A webhook URL or an SMTP host is typed by an owner, and the console
// shows what the receiver answered: pointed inside the network (loopback, private ranges, link
// local with the cloud's metadata service, unique local IPv6), the server would become a way to
// reach and read services nobody outside can. Such addresses are refused unless the operator
// allows them (OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS=true, for a receiver on the same network).
//
// The check runs on the addresses a name resolves to at each delivery, and the connection is
// made to the address that was checked: a name that resolved to a public address when it was
// saved, and to 127.0.0.1 later (DNS rebinding), is refused then.
import { lookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { getConfig } from "../config";

const ALLOW_VARIABLE = "OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS";

export class PrivateTargetError extends Error {
  override name = "PrivateTargetError";
  constructor(host: string, address: string, range: string) {
    super(
      `${host === address ? address : `${host} (${address})`} is a ${describeRange(range)} address inside your ` +
        `network; alerts go only to public addresses unless ${ALLOW_VARIABLE}=true is set.`,
    );
  }
}

function describeRange(range: string): string {
  const words: Record<string, string> = {
    loopback: "loopback",
    private: "private",
    linkLocal: "link-local (cloud metadata)",
    uniqueLocal: "unique local",
    carrierGradeNat: "shared (carrier-grade NAT)",
    unspecified: "unspecified",
  };
  return words[range] ?? `reserved (${range})`;
}

/** The range `address` is in when it is not a public unicast address, else null. */
export function nonPublicRange(address: string): string | null {
  let parsed = ipaddr.parse(address);
  // ::ffff:127.0.0.1 is 127.0.0.1 to the network stack.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  return range === "unicast" ? null : range;
}

function privateTargetsAllowed(): boolean {
  return getConfig().monitoring.allowPrivateAlertTargets;
}

/** Throws PrivateTargetError for `address` (an IP) unless it is public or private targets are allowed. */
function assertAllowed(host: string, address: string): void {
  if (privateTargetsAllowed()) return;
  const range = nonPublicRange(address);
  if (range) throw new PrivateTargetError(host, address, range);
}

/** A host as typed in a URL or a form: `[::1]` is the IP ::1. */
function bareHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Refuses a host that is itself an address inside the network (`127.0.0.1`, `[::1]`) or that
 * names this machine (`localhost`). When a channel is saved: a name is checked at each delivery.
 */
export function assertTargetHostAllowed(host: string): void {
  const bare = bareHost(host);
  if (isIP(bare) !== 0) return assertAllowed(bare, bare);
  if (!privateTargetsAllowed() && /(^|\.)localhost\.?$/i.test(bare))
    throw new PrivateTargetError(bare, "127.0.0.1", "loopback");
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:net/http that resolves as usual and fails the connection when any address
 * is refused, so the socket connects only to addresses that were checked.
 */
export function checkedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
    if (error) return callback(error, []);
    try {
      for (const { address } of addresses) assertAllowed(hostname, address);
    } catch (refusal) {
      return callback(refusal as NodeJS.ErrnoException, []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/** The address to connect to for `host`, checked: an SMTP client is then given the address itself. */
export async function checkedAddress(host: string): Promise<string> {
  const bare = bareHost(host);
  if (isIP(bare) !== 0) {
    assertAllowed(bare, bare);
    return bare;
  }
  return new Promise((resolve, reject) =>
    checkedLookup(bare, {}, (error, address) => (error ? reject(error) : resolve(address as string))),
  );
}
