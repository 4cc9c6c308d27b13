/** Recent same-country jumps remembered per country (and for all countries together). */
const RING = 64;
/** Jumps a country needs before its own spread is used (the all-countries spread stands in). */
const MIN_SAMPLES = 5;
/** The spread is this quantile of recent jump distances. */
const QUANTILE = 0.9;
const COUNTRIES = 512;

class DistanceRing {
  private readonly values = new Float32Array(RING);
  private next = 0;
  count = 0;

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % RING;
    this.count++;
  }

  quantile(q: number): number {
    const n = Math.min(this.count, RING);
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor(q * n))]!;
  }
}

/**
 * How far apart, within one country, the population's sessions appear to jump. Where carriers
 * register their NAT egress in one city (a whole country's phones "in Frankfurt"), a phone
 * leaving home Wi-Fi jumps hundreds of km in a minute; where locations are good, such jumps
 * are rare and short. The detector records the effective distance of every implausible
 * same-country jump a session makes and treats a later one as explained when it is no longer
 * than the 90th percentile of that country's recent jumps: a thief in another
 * country, or much further than the carriers' spread, is still reported.
 *
 * Memory: 64 distances per country seen, bounded by the number of country codes.
 */
export class CountrySpread {
  private readonly countries = new Map<string, DistanceRing>();
  private readonly all = new DistanceRing();

  get approxBytes(): number {
    return (this.countries.size + 1) * (RING * 4 + 96);
  }

  record(country: string, effectiveKm: number): void {
    let ring = this.countries.get(country);
    if (!ring && this.countries.size < COUNTRIES) this.countries.set(country, (ring = new DistanceRing()));
    ring?.add(effectiveKm);
    this.all.add(effectiveKm);
  }

  /** The distance (km) within which a same-country jump in `country` is what legitimate traffic does; 0 while unknown. */
  spread(country: string): number {
    const source = this.source(country);
    return source ? source.quantile(QUANTILE) : 0;
  }

  /** Whether the country has seen enough jumps of its own to have a spread (the all-countries one does not count). */
  knows(country: string): boolean {
    return (this.countries.get(country)?.count ?? 0) >= MIN_SAMPLES;
  }

  private source(country: string): DistanceRing | undefined {
    const ring = this.countries.get(country);
    return ring && ring.count >= MIN_SAMPLES ? ring : this.all.count >= MIN_SAMPLES ? this.all : undefined;
  }
}
