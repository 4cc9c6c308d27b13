import type { NetworkInfo } from '../../../src/events/types.js';
import type { Rng } from '../prng.js';
import { distanceKm } from './distance.js';
import { PLACES } from './places-data.js';
import type { PlaceBlock, PlacesTable } from './types.js';

export { distanceKm } from './distance.js';
export type { PlaceBlock, PlacesTable } from './types.js';

export type City = PlacesTable['cities'][number];

/** What kind of network a /24 is: who else is behind it and what its location means. */
export type NetworkKind = 'residential' | 'mobile' | 'vpn' | 'cloud';

/** Where a request comes from: a real /24 and where the database says it is. */
export interface Spot {
  network: NetworkInfo;
  lat: number;
  lon: number;
  country: string;
  kind: NetworkKind;
  /** The provider (carrier, cloud or VPN), or the city for residential networks. */
  owner: string;
}

/**
 * The simulator's map of the internet, from the generated table (places-data.ts): a random
 * /24 in a city's residential blocks, a carrier's NAT egress near a city, a VPN exit, a cloud
 * server. NetworkInfo objects are shared per /24 so millions of events cost no extra memory.
 */
export class Places {
  readonly cities: City[];
  private readonly table: PlacesTable;
  private readonly networks = new Map<string, NetworkInfo>();
  private readonly kinds = new Map<string, NetworkKind>();
  private readonly locations = new Map<string, { lat: number; lon: number }>();

  constructor(table: PlacesTable = PLACES) {
    this.table = table;
    this.cities = table.cities;
  }

  /** The residential /24s of a city: many households per /24, one home per entity. */
  residential(city: City, rng: Rng): Spot {
    return this.spot({ cidr: rng.pick(city.blocks), lat: city.lat, lon: city.lon, country: city.country }, rng, 'residential', city.name);
  }

  hasCarrier(city: City): boolean {
    return this.table.carriers.some((carrier) => carrier.country === city.country);
  }

  /**
   * A carrier's NAT egress for a phone living in `city`: a carrier of its country, and one of
   * that carrier's blocks, nearer ones likelier (egress is regional, but the database often
   * places it hundreds of km away). Undefined where no carrier is listed.
   */
  carrier(city: City, rng: Rng): Spot | undefined {
    const carriers = this.table.carriers.filter((carrier) => carrier.country === city.country);
    if (carriers.length === 0) return undefined;
    const carrier = rng.pick(carriers);
    const block = rng.weighted(carrier.blocks, (b) => 1 / (distanceKm(city, b) + 50) ** 2);
    return this.spot(block, rng, 'mobile', carrier.name);
  }

  /**
   * Another egress of the carrier a phone is on: carriers hand a moving (or merely idle)
   * phone a new CGNAT pool every few minutes, anywhere in the country the carrier serves,
   * so the database places consecutive addresses of one phone hundreds of km apart.
   */
  carrierHop(current: Spot, rng: Rng): Spot {
    const carrier = this.table.carriers.find((c) => c.name === current.owner);
    if (!carrier) return current;
    return this.spot(rng.pick(carrier.blocks), rng, 'mobile', carrier.name);
  }

  /** A VPN exit: the one nearest `near` (what VPN apps pick by default), or any exit. */
  vpnExit(rng: Rng, near?: { lat: number; lon: number }): Spot {
    const providers = this.table.hosting.filter((provider) => provider.use === 'vpn');
    const provider = rng.pick(providers);
    const block = near ? nearest(provider.blocks, near) : rng.pick(provider.blocks);
    return this.spot(block, rng, 'vpn', provider.name);
  }

  /** A cloud server (where scripted attacks run). */
  cloud(rng: Rng): Spot {
    const provider = rng.pick(this.table.hosting.filter((p) => p.use === 'cloud'));
    return this.spot(rng.pick(provider.blocks), rng, 'cloud', provider.name);
  }

  /** A city at least `minKm` (and at most `maxKm`) from `from`, or the farthest one. */
  cityAtDistance(from: { lat: number; lon: number }, rng: Rng, minKm: number, maxKm = Infinity): City {
    const candidates = this.cities.filter((city) => {
      const d = distanceKm(from, city);
      return d >= minKm && d <= maxKm;
    });
    if (candidates.length > 0) return rng.pick(candidates);
    return this.cities.reduce((best, city) => (distanceKm(from, city) > distanceKm(from, best) ? city : best));
  }

  /** Where the table puts a /24 the simulator handed out. */
  locate(prefix: string): { lat: number; lon: number } | undefined {
    return this.locations.get(prefix);
  }

  /** What the simulator knows a /24 to be; undefined for prefixes it never handed out. */
  kindOf(prefix: string): NetworkKind | undefined {
    return this.kinds.get(prefix);
  }

  private spot(block: PlaceBlock, rng: Rng, kind: NetworkKind, owner: string): Spot {
    const [base, bits] = block.cidr.split('/');
    const count = 2 ** (24 - Number(bits));
    const start = (base ?? '0.0.0.0').split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + 256 * rng.int(0, count - 1);
    const prefix = `${start >>> 24}.${(start >>> 16) & 255}.${(start >>> 8) & 255}.0/24`;
    let network = this.networks.get(prefix);
    if (!network) {
      network = { ip_prefix: prefix, ip_version: 4 };
      this.networks.set(prefix, network);
      this.kinds.set(prefix, kind);
      this.locations.set(prefix, { lat: block.lat, lon: block.lon });
    }
    return { network, lat: block.lat, lon: block.lon, country: block.country, kind, owner };
  }
}

function nearest(blocks: PlaceBlock[], to: { lat: number; lon: number }): PlaceBlock {
  let best = blocks[0]!;
  for (const block of blocks) if (distanceKm(block, to) < distanceKm(best, to)) best = block;
  return best;
}

/** A host address inside a /24 prefix (for --live, which sends X-Forwarded-For). */
export function hostIn(prefix: string, host: number): string {
  const [a, b, c] = prefix.split('.');
  return `${a}.${b}.${c}.${Math.min(254, Math.max(1, host))}`;
}
