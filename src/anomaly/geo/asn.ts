import type { AsnResponse } from 'maxmind';
import { isHostingAsn } from './hosting-asns.js';
import { LazyReaders } from './readers.js';

export interface AsnInfo {
  asn: number;
  /** The ASN is on the hosting/VPN list (hosting-asns.ts). */
  datacenter: boolean;
}

/** Where ASNs come from: the bundled table (asn-table.ts) or a GeoLite2-ASN file. */
export interface AsnSource {
  /** Opens or parses the data (once); lookups before this settles answer undefined. */
  ready(): Promise<void>;
  readonly loaded: boolean;
  lookup(ip: string): AsnInfo | undefined;
}

/** GeoLite2-ASN record → ASN and the datacenter flag. */
export function asnInfo(record: unknown): AsnInfo | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const asn = (record as Partial<AsnResponse>).autonomous_system_number;
  return typeof asn === 'number' ? { asn, datacenter: isHostingAsn(asn) } : undefined;
}

/** A MaxMind GeoLite2-ASN `.mmdb` (GUESTPASS_GEOIP_ASN_DATABASE). */
export class AsnDatabase implements AsnSource {
  private readonly readers: LazyReaders<'asn'>;

  constructor(path: string) {
    this.readers = new LazyReaders({ asn: path });
  }

  ready(): Promise<void> {
    return this.readers.ready();
  }

  get loaded(): boolean {
    return this.readers.loaded;
  }

  lookup(ip: string): AsnInfo | undefined {
    return asnInfo(this.readers.lookup('asn', ip));
  }
}
