import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import { expandIPv6 } from '../../shared/network.js';
import type { AsnInfo, AsnSource } from './asn.js';
import { isHostingAsn } from './hosting-asns.js';
import { plainAddress } from './readers.js';

/**
 * The default ASN source: the IP-to-ASN ranges shipped in the npm package `@ip-location-db/asn`
 * (RouteViews, the five RIRs and DB-IP IP to ASN Lite, CC BY 4.0). Without an ASN, hosting and
 * VPN-exit networks look like homes, and a VPN user switching exits reads as impossible travel;
 * with it, the hosting list (hosting-asns.ts) discounts them out of the box.
 *
 * The package ships CSV, not MaxMind DB, so the ranges are parsed once into sorted typed arrays
 * (≈ 412,000 IPv4 and 103,000 IPv6 ranges, ~10 MB) and searched by bisection. IPv6 ranges are
 * kept to their first 48 bits: routed IPv6 blocks are never longer than /48 (and events carry
 * only the /48), so nothing is lost, and every value fits a double exactly.
 */
export function bundledAsnPaths(): { ipv4: string; ipv6: string } {
  const folder = dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
  return { ipv4: join(folder, 'asn-ipv4-num.csv'), ipv6: join(folder, 'asn-ipv6-num.csv') };
}

/** Sorted ranges of one address family, as numbers (IPv4, or the first 48 bits of IPv6). */
interface Ranges {
  starts: Float64Array;
  ends: Float64Array;
  asns: Uint32Array;
}

interface AsnTableData {
  ipv4: Ranges;
  ipv6: Ranges;
}

/** One table per path and process: servers started side by side (as in the tests) share it. */
const loaded = new Map<string, Promise<AsnTableData>>();

export class BundledAsnTable implements AsnSource {
  private data: AsnTableData | undefined;
  private loading?: Promise<void>;

  constructor(private readonly paths: { ipv4: string; ipv6: string } = bundledAsnPaths()) {}

  /** Reads and parses the CSV files (once per process), yielding to the event loop between chunks. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      const key = `${this.paths.ipv4}\n${this.paths.ipv6}`;
      let table = loaded.get(key);
      if (!table) {
        table = loadTable(this.paths);
        table.catch(() => loaded.delete(key));
        loaded.set(key, table);
      }
      this.data = await table;
    })();
    return this.loading;
  }

  get loaded(): boolean {
    return this.data !== undefined;
  }

  lookup(ip: string): AsnInfo | undefined {
    if (!this.data) return undefined;
    const address = plainAddress(ip);
    let asn: number | undefined;
    if (isIPv4(address)) asn = search(this.data.ipv4, ipv4Number(address));
    else if (isIPv6(address)) asn = search(this.data.ipv6, ipv6Top48(address));
    return asn === undefined || asn === 0 ? undefined : { asn, datacenter: isHostingAsn(asn) };
  }
}

async function loadTable(paths: { ipv4: string; ipv6: string }): Promise<AsnTableData> {
  const [ipv4Text, ipv6Text] = await Promise.all([readFile(paths.ipv4), readFile(paths.ipv6)]);
  const ipv4 = await parseRanges(ipv4Text, Number);
  // 128-bit decimal → its first 48 bits.
  const ipv6 = await parseRanges(ipv6Text, (digits) => Number(BigInt(digits) >> 80n));
  return { ipv4, ipv6 };
}

/**
 * Parses `start,end,asn,"organisation"` lines (numeric addresses, sorted by start), handing
 * the event loop back every 20,000 lines so that loading never stalls requests for long.
 */
async function parseRanges(text: Buffer, toNumber: (digits: string) => number): Promise<Ranges> {
  let lines = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) lines++;
  lines++;
  const starts = new Float64Array(lines);
  const ends = new Float64Array(lines);
  const asns = new Uint32Array(lines);
  let count = 0;
  let position = 0;
  while (position < text.length) {
    const lineEnd = indexOrEnd(text, 0x0a, position);
    const first = indexOrEnd(text, 0x2c, position);
    const second = indexOrEnd(text, 0x2c, first + 1);
    const asnEnd = Math.min(indexOrEnd(text, 0x2c, second + 1), lineEnd);
    if (second < lineEnd) {
      starts[count] = toNumber(text.toString('latin1', position, first));
      ends[count] = toNumber(text.toString('latin1', first + 1, second));
      asns[count] = Number(text.toString('latin1', second + 1, asnEnd));
      count++;
    }
    position = lineEnd + 1;
    if (count % 20_000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { starts: starts.subarray(0, count), ends: ends.subarray(0, count), asns: asns.subarray(0, count) };
}

function indexOrEnd(text: Buffer, byte: number, from: number): number {
  const index = text.indexOf(byte, from);
  return index < 0 ? text.length : index;
}

/** The ASN of the range holding `value` (the last range starting at or before it), if it reaches that far. */
function search({ starts, ends, asns }: Ranges, value: number): number | undefined {
  let low = 0;
  let high = starts.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (starts[middle]! <= value) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found >= 0 && ends[found]! >= value ? asns[found] : undefined;
}

function ipv4Number(address: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d;
}

function ipv6Top48(address: string): number {
  const [a = '0', b = '0', c = '0'] = expandIPv6(address);
  return parseInt(a, 16) * 2 ** 32 + parseInt(b, 16) * 2 ** 16 + parseInt(c, 16);
}
