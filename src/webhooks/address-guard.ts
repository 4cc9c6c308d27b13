import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard's address rules: a webhook goes to public unicast addresses only, unless an
 * operator allows more. Refused: unspecified, loopback, RFC 1918 and ULA private, link-local
 * (169.254/16 with the cloud metadata address 169.254.169.254, fe80::/10), CGNAT (100.64/10),
 * multicast, reserved and documentation ranges, and IPv4-mapped or translated IPv6 forms that
 * could smuggle any of them.
 */
const NON_PUBLIC_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;

const NON_PUBLIC_V6 = [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const;

/** Never a destination, whatever is allowed: they name no single remote host. */
const NEVER = [
  ['0.0.0.0', 8],
  ['224.0.0.0', 4],
  ['255.255.255.255', 32],
  ['::', 128],
  ['ff00::', 8],
] as const;

export interface AddressGuardOptions {
  /** Allow every non-public address except unspecified and multicast. @default false */
  allowPrivate?: boolean;
  /** Non-public blocks allowed anyway (`10.1.2.0/24`, `127.0.0.1/32`, `fd00::/8`, or one address). */
  allowedCidrs?: readonly string[];
}

type Family = 'ipv4' | 'ipv6';

/**
 * One BlockList per family: a BlockList holding ::ffff:0:0/96 also matches every IPv4 address
 * checked as `ipv4`, so the families' rules must not share a list.
 */
class Ranges {
  private readonly lists = { ipv4: new BlockList(), ipv6: new BlockList() };

  add(address: string, bits?: number): void {
    const family: Family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    this.lists[family].addSubnet(address, bits ?? (family === 'ipv6' ? 128 : 32), family);
  }

  has(address: string, family: Family): boolean {
    return this.lists[family].check(address, family);
  }
}

export class AddressGuard {
  private readonly nonPublic = new Ranges();
  private readonly never = new Ranges();
  private readonly allowed = new Ranges();
  private readonly allowPrivate: boolean;

  constructor({ allowPrivate = false, allowedCidrs = [] }: AddressGuardOptions = {}) {
    this.allowPrivate = allowPrivate;
    for (const [address, bits] of [...NON_PUBLIC_V4, ...NON_PUBLIC_V6]) this.nonPublic.add(address, bits);
    for (const [address, bits] of NEVER) this.never.add(address, bits);
    for (const cidr of allowedCidrs) {
      const [address = '', bits] = cidr.split('/');
      this.allowed.add(address, bits === undefined ? undefined : Number(bits));
    }
  }

  /** Whether a connection to `address` (an IP address, not a name) may be made. */
  permits(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    const type: Family = family === 6 ? 'ipv6' : 'ipv4';
    if (this.never.has(address, type)) return false;
    if (!this.nonPublic.has(address, type)) return true;
    return this.allowPrivate || this.allowed.has(address, type);
  }
}

/** Hosts an http:// URL may name in development (GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
