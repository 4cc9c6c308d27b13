/**
 * Builds places-data.ts, the simulator's table of real network blocks and where the bundled
 * DB-IP City Lite database puts them. Run after the database package is updated:
 *
 *   npx tsx tools/simulator/places/build-places.ts
 *
 * It walks the whole IPv4 tree once (every block, ~20 s), keeps blocks of /24 or larger whose
 * record lies within 25 km of one of the cities below, and probes the carrier and hosting
 * ranges listed in catalogue.ts. The output is a static table so a seed's traffic does not
 * depend on a scan at run time; a test checks that the table still matches the database.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import maxmind, { type Response } from 'maxmind';
import { BundledAsnTable } from '../../../src/anomaly/geo/asn-table.js';
import { bundledDbipPaths } from '../../../src/anomaly/geo/dbip.js';
import { isMobileAsn } from '../../../src/anomaly/geo/mobile-asns.js';
import { CARRIER_RANGES, CITIES, HOSTING_RANGES } from './catalogue.js';
import { distanceKm } from './distance.js';

interface DbipRecord {
  city?: string;
  country_code?: string;
  latitude?: number;
  longitude?: number;
}

interface Block {
  cidr: string;
  lat: number;
  lon: number;
  country: string;
}

/** A city's residential space: its densest /16s, and up to this many blocks from each. */
const SIXTEENS_PER_CITY = 40;
const BLOCKS_PER_SIXTEEN = 8;
const CARRIER_BLOCKS = 24;
const HOSTING_BLOCKS = 3;
const CITY_RADIUS_KM = 25;

const reader = await maxmind.open<Response>(bundledDbipPaths().ipv4);
const asns = new BundledAsnTable();
await asns.ready();

function toIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}
/** Unicast, publicly routed space only (RFC 6890): no private, shared, loopback or multicast. */
function isPublic(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  return true;
}

/** Every block with a located record between two addresses, as [start, prefixLength, record]. */
function* walk(from: number, to: number): Generator<[number, number, DbipRecord]> {
  let n = from;
  while (n <= to) {
    const [found, length] = reader.getWithPrefixLength(toIp(n));
    // DB-IP's records are not GeoIP2-shaped: read them as what they are.
    const record = found as DbipRecord | null;
    const size = 2 ** (32 - length);
    const start = n - (n % size);
    if (record && typeof record.latitude === 'number' && typeof record.longitude === 'number' && length <= 24 && isPublic(start)) {
      yield [start, length, record];
    }
    n = start + size;
  }
}

function block(start: number, length: number, record: DbipRecord): Block {
  return { cidr: `${toIp(start)}/${length}`, lat: round(record.latitude!), lon: round(record.longitude!), country: record.country_code ?? '' };
}
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Picks `n` of `items` spread evenly over the list (which is in address order): different /8s. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]!);
}

const started = Date.now();
const cityCandidates = new Map<string, Block[]>(CITIES.map((city) => [city.name, []]));
for (const [start, length, record] of walk(toInt('1.0.0.0'), toInt('223.255.255.255'))) {
  for (const city of CITIES) {
    if (record.country_code !== city.country) continue;
    if (distanceKm(city, { lat: record.latitude!, lon: record.longitude! }) > CITY_RADIUS_KM) continue;
    cityCandidates.get(city.name)!.push(block(start, length, record));
    break;
  }
}
/**
 * Residential access networks are mapped finely (an ISP's /16 is cut into many small blocks,
 * each placed in its own town), while legacy, corporate and university space is one large
 * block: rank a city's /16s by how many small blocks (/20 to /24) the database puts there,
 * skip first octets that are overwhelmingly cloud, CDN or corporate space and the hosting
 * ranges below, and take up to 8 blocks from each of the best 40 /16s (at most three per /8).
 * A real metro has tens of thousands of residential /24s; a few hundred per city keep the
 * simulated households from piling up behind a handful of prefixes.
 */
const NOT_RESIDENTIAL_FIRST_OCTETS = new Set([3, 8, 13, 15, 16, 17, 18, 20, 23, 34, 35, 40, 44, 48, 51, 52, 54, 57, 104, 107, 108]);
const hostingIntervals = HOSTING_RANGES.flatMap((provider) => provider.ranges.map(interval));
function interval(cidr: string): [number, number] {
  const [base, bits] = cidr.split('/');
  const from = toInt(base!);
  return [from, from + 2 ** (32 - Number(bits)) - 1];
}
/**
 * The first octets and the catalogue's ranges miss hosting space sold on elsewhere (Amazon,
 * Microsoft, OVH, IONOS blocks that DB-IP places in a city like any home) and mobile carriers'
 * pools placed in a city: a block counts as residential only if the ASN table the server reads
 * (the same bundled one) gives neither end to a hosting network or a mobile-only carrier
 * (geo/mobile-asns.ts). Otherwise a "home" guest or a thief drawn there is read, rightly, as a
 * cloud or VPN exit, or as a phone that may be roaming anywhere, and the simulator's truth
 * disagrees with what the address is. Phones get their carrier's blocks (catalogue.ts).
 */
function residentialLooking(b: Block): boolean {
  const [from, to] = interval(b.cidr);
  if (NOT_RESIDENTIAL_FIRST_OCTETS.has(from >>> 24)) return false;
  if (hostingIntervals.some(([low, high]) => from >= low && from <= high)) return false;
  return [from, to].every((n) => {
    const asn = asns.lookup(toIp(n));
    return !asn?.datacenter && !isMobileAsn(asn?.asn);
  });
}
const cities = CITIES.map((city) => {
  const found = cityCandidates.get(city.name)!.filter((b) => residentialLooking(b) && Number(b.cidr.split('/')[1]) >= 20);
  const bySixteen = new Map<string, { addresses: number; blocks: Block[] }>();
  for (const b of found) {
    const [a, c] = b.cidr.split('.');
    const key = `${a}.${c}`;
    const entry = bySixteen.get(key) ?? { addresses: 0, blocks: [] };
    entry.addresses += 1;
    entry.blocks.push(b);
    bySixteen.set(key, entry);
  }
  const ranked = [...bySixteen.entries()].sort((x, y) => y[1].addresses - x[1].addresses || x[0].localeCompare(y[0]));
  const perEight = new Map<string, number>();
  const chosen: Block[] = [];
  let sixteens = 0;
  for (const [key, entry] of ranked) {
    const eight = key.split('.')[0]!;
    if ((perEight.get(eight) ?? 0) >= 3) continue;
    perEight.set(eight, (perEight.get(eight) ?? 0) + 1);
    chosen.push(...spread(entry.blocks, BLOCKS_PER_SIXTEEN));
    if (++sixteens === SIXTEENS_PER_CITY) break;
  }
  if (chosen.length === 0) throw new Error(`no block found near ${city.name}`);
  // Every block is within CITY_RADIUS_KM of the city: the city's coordinates stand for all of them.
  return { ...city, blocks: chosen.map((b) => b.cidr) };
});

function rangeBlocks(cidr: string, country: string | undefined, n: number, asn?: number): Block[] {
  const [base, bits] = cidr.split('/');
  const from = toInt(base!);
  const to = from + 2 ** (32 - Number(bits)) - 1;
  const found: Block[] = [];
  for (const [start, length, record] of walk(from, to)) {
    if (country && record.country_code !== country) continue;
    if (asn !== undefined && asns.lookup(toIp(start))?.asn !== asn) continue;
    found.push(block(start, length, record));
  }
  return spread(found, n);
}

const carriers = CARRIER_RANGES.map((carrier) => ({
  ...carrier,
  blocks: carrier.ranges.flatMap((range) => rangeBlocks(range, carrier.country, Math.ceil(CARRIER_BLOCKS / carrier.ranges.length))),
}));
// A provider's range as once announced can hold other networks now (a /16 of VPN exits with a
// US fibre ISP's /23 in it): a block counts only if the ASN table says it is the provider's.
const hosting = HOSTING_RANGES.map((provider) => ({
  ...provider,
  blocks: provider.ranges.flatMap((range) => rangeBlocks(range, undefined, HOSTING_BLOCKS, provider.asn)),
}));

const out = `/**
 * GENERATED by build-places.ts from ${reader.metadata.databaseType} built ${reader.metadata.buildEpoch.toISOString().slice(0, 10)}
 * (DB-IP City Lite, CC BY 4.0, https://db-ip.com). Do not edit: run the script again.
 * Each block is a real network of /24 or larger and where that database puts it.
 */
import type { PlacesTable } from './types.js';

export const PLACES: PlacesTable = {
  database: ${JSON.stringify(reader.metadata.buildEpoch.toISOString())},
  cities: [
${cities.map((city) => `    ${JSON.stringify(city)},`).join('\n')}
  ],
  carriers: [
${carriers.map((carrier) => `    ${JSON.stringify(carrier)},`).join('\n')}
  ],
  hosting: [
${hosting.map((provider) => `    ${JSON.stringify(provider)},`).join('\n')}
  ],
};
`;
const target = join(dirname(fileURLToPath(import.meta.url)), 'places-data.ts');
writeFileSync(target, out);
process.stdout.write(
  `wrote ${target}: ${cities.length} cities, ${carriers.length} carriers, ${hosting.length} hosting providers in ${Date.now() - started} ms\n`,
);
for (const city of cities) process.stdout.write(`  ${city.name}: ${city.blocks.length} blocks\n`);
for (const c of [...carriers, ...hosting]) process.stdout.write(`  ${c.name}: ${c.blocks.length} blocks\n`);
