/** Where an address is: the default DB-IP Lite resolver, MaxMind files for production, and the per-prefix cache. */
import { AsnDatabase } from './asn.js';
import { BundledAsnTable } from './asn-table.js';
import { CachedGeoResolver } from './cached.js';
import { DbipGeoResolver } from './dbip.js';
import { MaxmindGeoResolver } from './maxmind.js';

export { AsnDatabase, asnInfo, type AsnInfo, type AsnSource } from './asn.js';
export { BundledAsnTable, bundledAsnPaths } from './asn-table.js';
export { CachedGeoResolver, type CachedGeoResolverOptions } from './cached.js';
export { DBIP_ACCURACY_KM, DbipGeoResolver, bundledDbipPaths, dbipLocation } from './dbip.js';
export { HOSTING_ASNS, isHostingAsn } from './hosting-asns.js';
export { MOBILE_ASNS, isMobileAsn } from './mobile-asns.js';
export { MaxmindGeoResolver, maxmindLocation } from './maxmind.js';
export { prefixAddress, prefixKey } from './prefix.js';
export type { LoadableGeoResolver } from './resolver.js';

/** The value of GUESTPASS_GEOIP_DATABASE that turns location lookups off. */
export const GEOIP_NONE = 'none';

/** When the files are read: GUESTPASS_GEOIP_LOAD. */
export type GeoLoad = 'startup' | 'first-use' | 'off';

export interface GeoSettings {
  /** A GeoLite2/GeoIP2 City `.mmdb` path, `none`, or undefined for the bundled DB-IP Lite files. */
  geoipDatabase?: string | undefined;
  /** A GeoLite2-ASN `.mmdb` path, `none`, or undefined for the bundled @ip-location-db/asn table. */
  geoipAsnDatabase?: string | undefined;
  /** `off` opens nothing (every location unknown); `first-use` opens at the first lookup. @default 'startup' */
  geoipLoad?: GeoLoad | undefined;
}

/**
 * The resolver the server, replay and the simulator use, from the options. Nothing is read
 * yet: `preload()` opens the files unless they are to wait for their first lookup (the server
 * calls it without waiting), and `ready()` opens them and waits.
 */
export function createDefaultGeoResolver(config: GeoSettings): CachedGeoResolver {
  const { geoipDatabase, geoipAsnDatabase, geoipLoad = 'startup' } = config;
  if (geoipLoad === 'off') return new CachedGeoResolver({});
  const city = geoipDatabase === GEOIP_NONE ? undefined : geoipDatabase ? new MaxmindGeoResolver(geoipDatabase) : new DbipGeoResolver();
  const asn = geoipAsnDatabase === GEOIP_NONE ? undefined : geoipAsnDatabase ? new AsnDatabase(geoipAsnDatabase) : new BundledAsnTable();
  return new CachedGeoResolver({ ...(city ? { city } : {}), ...(asn ? { asn } : {}), openOnFirstUse: geoipLoad === 'first-use' });
}
