import { isIPv4, isIPv6 } from 'node:net';

/** The coarse network of a client, as events and stores carry it. */
export interface NetworkInfo {
  /** `203.0.113.0/24` or `2001:db8:1::/48`. */
  ip_prefix: string;
  ip_version: 4 | 6;
}

/** Networks of recent addresses: a request asks for its caller's network several times. */
const recentNetworks = new Map<string, Readonly<NetworkInfo> | undefined>();
const RECENT_NETWORKS = 4096;

/**
 * The coarse network of an address: /24 for IPv4, /48 for IPv6. This is all Guestpass keeps
 * or emits about a client's address; the full address never leaves the request. Answers are
 * kept for recent addresses (frozen, as callers share them): a guest-session creation asks
 * three times (limiter, request facts, event), and parsing was 1% of its CPU.
 */
export function networkOf(ip: string): Readonly<NetworkInfo> | undefined {
  if (recentNetworks.has(ip)) return recentNetworks.get(ip);
  const network = parseNetwork(ip);
  // Bounded by forgetting everything at once: a sweep of addresses costs one parse each, as before.
  if (recentNetworks.size >= RECENT_NETWORKS) recentNetworks.clear();
  recentNetworks.set(ip, network && Object.freeze(network));
  return network;
}

function parseNetwork(ip: string): NetworkInfo | undefined {
  const address = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(address)) {
    const [a, b, c] = address.split('.');
    return { ip_prefix: `${a}.${b}.${c}.0/24`, ip_version: 4 };
  }
  if (isIPv6(address)) {
    const groups = expandIPv6(address)
      .slice(0, 3)
      .map((group) => group.replace(/^0+(?=.)/, ''));
    return { ip_prefix: `${groups.join(':')}::/48`, ip_version: 6 };
  }
  return undefined;
}

/** The eight groups of an IPv6 address, `::` expanded (groups keep their leading zeros or lack of them). */
export function expandIPv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
}

/** `{ network }` for an event payload, or nothing when the address cannot be parsed. */
export function networkField(ip: string): { network?: Readonly<NetworkInfo> } {
  const network = networkOf(ip);
  return network ? { network } : {};
}
