import { networkOf } from '../../shared/network.js';

/**
 * The first address of a network prefix (`203.0.113.0/24` → `203.0.113.0`,
 * `2001:db8:1::/48` → `2001:db8:1::`): what a resolver looks up for an event, which carries
 * the prefix only. Undefined when the text is not a prefix of a known family.
 */
export function prefixAddress(prefix: string): string | undefined {
  const slash = prefix.indexOf('/');
  const address = slash < 0 ? prefix : prefix.slice(0, slash);
  return networkOf(address) ? address : undefined;
}

/** The /24 or /48 an address or prefix belongs to: the key of every per-network cache. */
export function prefixKey(addressOrPrefix: string): string | undefined {
  const address = prefixAddress(addressOrPrefix);
  return address === undefined ? undefined : networkOf(address)?.ip_prefix;
}

/**
 * The /24 or /48 key of the machine itself (127.0.0.0/8, ::1): no database locates it, and
 * containment never refuses it (a developer's loop or a same-host proxy; blocking it would take
 * the whole service down), so findings about it stay `observe`.
 */
export function isLoopbackKey(key: string): boolean {
  return key.startsWith('127.') || key === '0:0:0::/48';
}
