/**
 * Synthetic load for the detection engine, shared by the memory test (100k sessions) and the
 * bench (1M sessions, per-event cost): distinct sessions from a few thousand networks, each
 * created, refreshed and sending telemetry, with logins now and then — the mix a busy
 * Guestpass sees. Events are generated one at a time, never held in an array, so the heap
 * measured is the engine's.
 */
import { TableGeoResolver } from '../src/anomaly/table-geo.js';
import type { DetectionInput, GeoLocation } from '../src/anomaly/types.js';

export const NETWORKS = 4096;

export function networkOf(i: number): string {
  return `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
}

/** Public /24s scattered over the address space, for runs against a real geo database. */
export function publicNetworkOf(i: number): string {
  return `${1 + ((i * 37) % 222)}.${(i * 113) % 256}.${i & 0xff}.0/24`;
}

/**
 * The n-th visitor's address for HTTP benches that speak through X-Forwarded-For: 250 hosts in
 * each of 20,000 public networks. At a quiet machine's ~5,000 creations a second, 4,096
 * networks saw ~70 sign-ups a minute each, a flood that detection rightly refuses (403).
 */
export function publicAddressOf(n: number): string {
  return publicNetworkOf(n % 20_000).replace('.0/24', `.${1 + (n % 250)}`);
}

/** A fixed table of 4,096 networks over 200 ASNs and a grid of cities. */
export function loadGeo(): TableGeoResolver {
  const table: Record<string, GeoLocation> = {};
  for (let i = 0; i < NETWORKS; i++)
    table[networkOf(i)] = { country: 'FR', lat: 43 + (i % 9), lon: -1 + ((i >> 3) % 8), accuracy_km: 25, asn: 64_512 + (i % 200) };
  return new TableGeoResolver(table);
}

/** A UUID-shaped id, as Guestpass's UUIDv7 session and user ids are 36 characters. */
function uuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `0190${kind.toString(16).padStart(4, '0')}-7abc-7def-8123-${hex}`;
}

/**
 * Calls `emit` with the events of `sessions` distinct sessions, in time order, `perSecond`
 * new sessions a second: created, refreshed twice, four telemetry batches, one login in ten.
 */
export function generateLoad(
  sessions: number,
  emit: (event: DetectionInput) => void,
  {
    start = Date.UTC(2026, 2, 2, 9),
    perSecond = 100,
    first = 0,
    network: prefixFor = networkOf,
  }: { start?: number; perSecond?: number; first?: number; network?: (i: number) => string } = {},
): void {
  const stepMs = 1000 / perSecond;
  for (let n = first; n < first + sessions; n++) {
    const time = start + Math.floor(n * stepMs);
    const session_id = uuid(1, n);
    const subject = uuid(2, n);
    const prefix = prefixFor((n * 2_654_435_761) % NETWORKS);
    const network = { ip_prefix: prefix, ip_version: 4 as const };
    const base = { session_id, subject, client_id: n % 3 === 0 ? 'ios' : 'web', network };
    emit({ type: 'session.created', time, ...base });
    emit({ type: 'telemetry.ingested', time: time + 1, ...base, accepted: 12, rejected: 0 });
    emit({ type: 'telemetry.ingested', time: time + 2, ...base, accepted: 7, rejected: 1 });
    emit({ type: 'session.refreshed', time: time + 3, ...base, generation: 1 });
    emit({ type: 'telemetry.ingested', time: time + 4, ...base, accepted: 20, rejected: 0 });
    emit({ type: 'session.refreshed', time: time + 5, ...base, generation: 2 });
    emit({ type: 'telemetry.ingested', time: time + 6, ...base, accepted: 3, rejected: 0 });
    if (n % 10 === 0) emit({ type: 'login.succeeded', time: time + 7, ...base, account_key: uuid(3, n), method: 'password' });
  }
}

export const EVENTS_PER_SESSION = 7.1;

/** `global.gc`, made available without `--expose-gc` on the command line. */
export async function collector(): Promise<() => void> {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Heap plus typed-array memory: the engine's columns live outside the JS heap. */
export function usedBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
