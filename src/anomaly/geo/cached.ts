import type { GeoLocation } from '../types.js';
import type { AsnSource } from './asn.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import { isMobileAsn } from './mobile-asns.js';
import { isLoopbackKey, prefixAddress, prefixKey } from './prefix.js';
import type { LoadableGeoResolver } from './resolver.js';

export interface CachedGeoResolverOptions {
  /** Where locations come from; undefined disables location (GUESTPASS_GEOIP_DATABASE=none). */
  city?: LoadableGeoResolver;
  /** Where ASNs (and so the hosting flag) come from; undefined leaves them out. */
  asn?: AsnSource;
  /** Prefixes remembered. @default 50_000 */
  capacity?: number;
  /**
   * Open the files at the first lookup instead of at `preload()` (GUESTPASS_GEOIP_LOAD=first-use):
   * a server that never needs a location never pays their memory. @default false
   */
  openOnFirstUse?: boolean;
}

/**
 * The resolver the engine gets: answers per /24 or /48 (events carry nothing finer), from a
 * bounded LRU, adding the ASN and the hosting flag when an ASN source is set. Answers
 * given before the files are open are not cached, so they cannot outlive the loading.
 */
export class CachedGeoResolver implements LoadableGeoResolver {
  private readonly city: LoadableGeoResolver | undefined;
  private readonly asn: AsnSource | undefined;
  private readonly cache: BoundedLru<string, GeoLocation | undefined>;
  private readonly openOnFirstUse: boolean;
  private opened: Promise<void> | undefined;
  hits = 0;
  misses = 0;
  /** Told when opening the files fails (the owner logs it); lookups then stay unknown. */
  onLoadError: (error: unknown) => void = () => {};

  constructor({ city, asn, capacity = 50_000, openOnFirstUse = false }: CachedGeoResolverOptions) {
    this.city = city;
    this.asn = asn;
    this.cache = new BoundedLru(capacity);
    this.openOnFirstUse = openOnFirstUse;
  }

  /** Opens the files (once) and resolves when they are open. */
  ready(): Promise<void> {
    this.opened ??= Promise.all([this.city?.ready(), this.asn?.ready()]).then(() => {});
    return this.opened;
  }

  /** Starts opening the files in the background, unless they wait for their first lookup. */
  preload(): void {
    if (!this.openOnFirstUse) this.open();
  }

  private open(): void {
    this.ready().catch((error: unknown) => this.onLoadError(error));
  }

  /** True once opening has begun (at `preload()`, a lookup or `ready()`), whether or not it has ended. */
  get opening(): boolean {
    return this.opened !== undefined;
  }

  get loaded(): boolean {
    return (this.city?.loaded ?? true) && (this.asn?.loaded ?? true);
  }

  get openedInMs(): number | undefined {
    return this.city?.openedInMs;
  }

  /** Accepts an address or a prefix (`203.0.113.0/24`); both resolve per prefix. */
  resolve(ipOrPrefix: string): GeoLocation | undefined {
    const key = prefixKey(ipOrPrefix);
    if (key === undefined) return undefined;
    if (this.cache.has(key)) {
      this.hits++;
      return this.cache.get(key);
    }
    this.misses++;
    // First use: this lookup answers unknown, the ones after the files are open do not. Health
    // checks and admin calls from the host itself need no location, so they do not count.
    if (this.opened === undefined && !this.loaded && !isLoopbackKey(key)) this.open();
    const address = prefixAddress(key)!;
    const location = this.locate(address);
    if (this.loaded) this.cache.set(key, location);
    return location;
  }

  private locate(address: string): GeoLocation | undefined {
    const location = this.city?.resolve(address);
    const asn = this.asn?.lookup(address);
    if (!location || !asn) return location;
    return {
      ...location,
      asn: asn.asn,
      ...(asn.datacenter || location.datacenter ? { datacenter: true } : {}),
      ...(isMobileAsn(asn.asn) ? { mobile: true } : {}),
    };
  }
}
