import type { CityResponse } from 'maxmind';
import type { GeoLocation } from '../types.js';
import { LazyReaders } from './readers.js';
import type { LoadableGeoResolver } from './resolver.js';

/** GeoIP2 City record → location; undefined without coordinates. */
export function maxmindLocation(record: unknown): GeoLocation | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const { country, registered_country: registered, location, traits } = record as CityResponse;
  if (!location || typeof location.latitude !== 'number' || typeof location.longitude !== 'number') return undefined;
  const iso = country?.iso_code ?? registered?.iso_code;
  const asn = traits?.autonomous_system_number;
  // Traits present in GeoIP2 City Plus / Insights and the Anonymous IP add-on; GeoLite2 lacks most.
  const datacenter =
    traits?.is_hosting_provider === true ||
    traits?.is_anonymous_vpn === true ||
    traits?.is_anonymous_proxy === true ||
    traits?.is_public_proxy === true ||
    traits?.is_tor_exit_node === true ||
    traits?.user_type === 'hosting';
  return {
    ...(iso ? { country: iso } : {}),
    lat: location.latitude,
    lon: location.longitude,
    // MaxMind's radius is in km and covers ~67% of addresses; absent, assume country level.
    accuracy_km: typeof location.accuracy_radius === 'number' ? location.accuracy_radius : 1000,
    ...(asn !== undefined ? { asn } : {}),
    ...(datacenter ? { datacenter } : {}),
  };
}

/** A MaxMind GeoLite2-City or GeoIP2-City `.mmdb` (GUESTPASS_GEOIP_DATABASE), for production accuracy. */
export class MaxmindGeoResolver implements LoadableGeoResolver {
  private readonly readers: LazyReaders<'city'>;

  constructor(path: string) {
    this.readers = new LazyReaders({ city: path });
  }

  ready(): Promise<void> {
    return this.readers.ready();
  }

  get loaded(): boolean {
    return this.readers.loaded;
  }

  get openedInMs(): number | undefined {
    return this.readers.openedInMs;
  }

  resolve(ip: string): GeoLocation | undefined {
    return maxmindLocation(this.readers.lookup('city', ip));
  }
}
