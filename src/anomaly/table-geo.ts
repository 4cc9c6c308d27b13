import { isMobileAsn } from './geo/mobile-asns.js';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { networkOf } from '../shared/network.js';
import type { GeoLocation, GeoResolver } from './types.js';

const LocationSchema = Type.Object(
  {
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    accuracy_km: Type.Number({ minimum: 0 }),
    asn: Type.Optional(Type.Integer({ minimum: 0 })),
    datacenter: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const TableSchema = Type.Record(Type.String(), LocationSchema);

/**
 * A resolver from a fixed table of networks (`{"203.0.113.0/24": {country, lat, lon,
 * accuracy_km, asn?, datacenter?}}`): test data for detectors, and `guestpass detect --geo`
 * for replays whose networks are fictitious. Addresses resolve through their /24 or /48.
 */
export class TableGeoResolver implements GeoResolver {
  private readonly table = new Map<string, GeoLocation>();

  constructor(entries: Record<string, GeoLocation>) {
    for (const [prefix, location] of Object.entries(entries)) {
      const key = networkOf(prefix.split('/')[0] ?? prefix)?.ip_prefix;
      if (!key) throw new Error(`Geo table: "${prefix}" is not an IPv4 or IPv6 network.`);
      // As the server's resolver does: a mobile carrier's ASN marks the location as its pool's.
      this.table.set(key, isMobileAsn(location.asn) ? { ...location, mobile: true } : location);
    }
  }

  resolve(ip: string): GeoLocation | undefined {
    const key = networkOf(ip)?.ip_prefix;
    return key === undefined ? undefined : this.table.get(key);
  }
}

/** Reads a geo table (parsed JSON), refusing unknown fields with the exact path. */
export function parseGeoTable(json: unknown): TableGeoResolver {
  const issue = Value.Errors(TableSchema, json).First();
  if (issue) throw new Error(`Geo table: ${issue.path || 'the document'}: ${issue.message}.`);
  return new TableGeoResolver(json as Record<string, GeoLocation>);
}
