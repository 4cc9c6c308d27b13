import { BoundedLru } from '../../shared/bounded-lru.js';
import { RecentDistinct } from './shared-egress.js';
import { DAY_MS } from '../../shared/time.js';

/** Distinct hopping sessions remembered per ASN; past this an ASN is a pool however many more hop. */
const SESSIONS_CAP = 8;
/** A hop counts when the address changes within this long: a carrier moving a phone between pools, not a person travelling. */
export const POOL_HOP_MS = 30 * 60_000;

/**
 * ASNs whose own addresses say little about where a person is within their country, learned
 * from behaviour: sessions that stay on the ASN but are placed hundreds of km apart within
 * minutes. That is a carrier moving phones between NAT pools it registered anywhere in the
 * country. The static list (geo/mobile-asns.ts) leaves out carriers whose ASN also carries
 * home lines; their mobile pools show themselves here. A home ISP does not: its customers'
 * addresses stay in their city, and a move between two of its cities takes hours. Attacks
 * rarely hop within one ASN and are few, so `sessions` distinct sessions a day are needed.
 */
export class CarrierPools {
  private readonly asns = new BoundedLru<number, RecentDistinct>(4096);

  constructor(private readonly sessions: number) {}

  get approxBytes(): number {
    return this.asns.size * (RecentDistinct.bytes(SESSIONS_CAP) + 100);
  }

  /** A session stayed on `asn` but moved far within one country in under POOL_HOP_MS. */
  hopped(asn: number, session: number, time: number): void {
    let hops = this.asns.get(asn);
    if (!hops) this.asns.set(asn, (hops = new RecentDistinct(SESSIONS_CAP)));
    hops.add(session, time);
  }

  /** Enough other sessions hopped within `asn` in the last day. */
  isPool(asn: number | undefined, time: number, session: number): boolean {
    if (asn === undefined || this.sessions === 0) return false;
    const hops = this.asns.peek(asn);
    return hops !== undefined && hops.count(time - DAY_MS, session) >= this.sessions;
  }
}
