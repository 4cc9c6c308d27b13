import type { ImpossibleTravelConfig } from '../config.js';
import { hash32 } from '../../shared/hash.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import { SlotTable, type ColumnHandle } from '../sketches/lru.js';
import type { DetectionContext, DetectionInput, Entity, Finding, GeoLocation } from '../types.js';
import { finding, locate, NONE, prefixHash, sessionOf, type EngineDetector } from './common.js';
import { CarrierPools, POOL_HOP_MS } from './carrier-pools.js';
import { CountrySpread } from './country-spread.js';
import { SharedEgressProfiles } from './shared-egress.js';

const EARTH_RADIUS_KM = 6371;
/** Events that start a session by signing in: a user's jump across sessions counts only on these. */
const SIGN_INS: ReadonlySet<string> = new Set(['session.created', 'login.succeeded']);
const RAD = Math.PI / 180;

/** Great-circle distance (haversine), km. */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

interface Sighting {
  time: number;
  location: GeoLocation;
  prefixHash: string;
  /** Hash of the /16 (IPv4) or /32 (IPv6) around the /24 or /48: a provider's block. */
  block: number;
}

/** A two-letter country code as a number (0 when unknown), as the anchors store it. */
function countryCode(country: string | undefined): number {
  return country && country.length === 2 ? (country.charCodeAt(0) << 8) | country.charCodeAt(1) : 0;
}

/** The wider block of a prefix: `203.0.113.0/24` → `203.0`, `2001:db8:1::/48` → `2001:db8`. */
function blockOf(prefix: string): number {
  const separator = prefix.includes(':') ? ':' : '.';
  const parts = prefix.split(separator);
  return hash32(`${parts[0]}${separator}${parts[1]}`);
}

const SEEN = 1;
const MOBILE = 2;

/**
 * The last place each session (or user) was seen, in typed-array columns (about 57 bytes a
 * key with the table's own 24): time, coordinates, accuracy radius, country, ASN and the
 * prefix hash packed into numbers, and the place before (coarser). Only non-hosting sightings become the anchor, so a VPN hop in
 * between never hides a real jump from home to elsewhere.
 */
class Anchors {
  private readonly table: SlotTable;
  /** SEEN and MOBILE bits. */
  private readonly flags: ColumnHandle<Uint8Array>;
  private readonly time: ColumnHandle<Float64Array>;
  private readonly lat: ColumnHandle<Float32Array>;
  private readonly lon: ColumnHandle<Float32Array>;
  private readonly accuracy: ColumnHandle<Float32Array>;
  private readonly country: ColumnHandle<Uint16Array>;
  private readonly hashHigh: ColumnHandle<Uint32Array>;
  private readonly hashLow: ColumnHandle<Uint16Array>;
  private readonly block: ColumnHandle<Uint32Array>;
  /** The network's ASN (0 when unknown): a carrier moving a session between its pools stays on it. */
  private readonly asn: ColumnHandle<Uint32Array>;
  /** The place before the current one (for users: a second device's city is a known place, not a jump). */
  /** In hundredths of a degree (about 1 km): it is compared with radii of 100 km and more. */
  private readonly previousLat: ColumnHandle<Int16Array>;
  private readonly previousLon: ColumnHandle<Int16Array>;
  private readonly previousCountry: ColumnHandle<Uint16Array>;
  /** For users: a hash of the session that set the anchor (a jump within one session is the session's finding). */
  private readonly session: ColumnHandle<Uint32Array>;

  constructor(maxEntries: number) {
    this.table = new SlotTable(maxEntries);
    this.flags = this.table.column(Uint8Array);
    this.time = this.table.column(Float64Array);
    this.lat = this.table.column(Float32Array);
    this.lon = this.table.column(Float32Array);
    this.accuracy = this.table.column(Float32Array);
    this.country = this.table.column(Uint16Array);
    this.hashHigh = this.table.column(Uint32Array);
    this.hashLow = this.table.column(Uint16Array);
    this.block = this.table.column(Uint32Array);
    this.asn = this.table.column(Uint32Array);
    this.previousLat = this.table.column(Int16Array);
    this.previousLon = this.table.column(Int16Array);
    this.previousCountry = this.table.column(Uint16Array);
    this.session = this.table.column(Uint32Array);
  }

  /** The key's slot, created when new; the key becomes the youngest. */
  acquire(key: string): number {
    return this.table.acquire(key);
  }

  has(slot: number): boolean {
    return (this.flags.a[slot]! & SEEN) !== 0;
  }

  read(slot: number): Sighting {
    const code = this.country.a[slot]!;
    const location: GeoLocation = { lat: this.lat.a[slot]!, lon: this.lon.a[slot]!, accuracy_km: this.accuracy.a[slot]! };
    if ((this.flags.a[slot]! & MOBILE) !== 0) location.mobile = true;
    if (this.asn.a[slot] !== 0) location.asn = this.asn.a[slot]!;
    if (code !== 0) location.country = String.fromCharCode(code >> 8, code & 0xff);
    const hash = this.hashHigh.a[slot]!.toString(16).padStart(8, '0') + this.hashLow.a[slot]!.toString(16).padStart(4, '0');
    return { time: this.time.a[slot]!, location, prefixHash: hash, block: this.block.a[slot]! };
  }

  /** Whether `location` is where the key was before its current place (within `radiusKm`). */
  wasAt(slot: number, location: GeoLocation, radiusKm: number): boolean {
    if (this.previousLat.a[slot] === 0 && this.previousLon.a[slot] === 0) return false;
    return distanceKm(this.previousLat.a[slot]! / 100, this.previousLon.a[slot]! / 100, location.lat, location.lon) <= radiusKm;
  }

  /** Whether the place before the current one was in `country` (two-letter code). */
  wasIn(slot: number, country: string | undefined): boolean {
    return country !== undefined && this.previousCountry.a[slot] === countryCode(country);
  }

  sessionOf(slot: number): number {
    return this.session.a[slot]!;
  }

  /** Same place as the anchor: only the time moves (no hashing on the common path). */
  samePlace(slot: number, location: GeoLocation): boolean {
    return this.has(slot) && this.lat.a[slot] === Math.fround(location.lat) && this.lon.a[slot] === Math.fround(location.lon);
  }

  touch(slot: number, time: number, session: number): void {
    this.time.a[slot] = time;
    this.session.a[slot] = session;
  }

  set(slot: number, time: number, location: GeoLocation, prefix: string, session: number): void {
    const hash = prefixHash(prefix);
    if (this.has(slot)) {
      this.previousLat.a[slot] = Math.round(this.lat.a[slot]! * 100);
      this.previousLon.a[slot] = Math.round(this.lon.a[slot]! * 100);
      this.previousCountry.a[slot] = this.country.a[slot]!;
    }
    this.flags.a[slot] = SEEN | (location.mobile ? MOBILE : 0);
    this.asn.a[slot] = location.asn ?? 0;
    this.block.a[slot] = blockOf(prefix);
    this.session.a[slot] = session;
    this.time.a[slot] = time;
    this.lat.a[slot] = location.lat;
    this.lon.a[slot] = location.lon;
    this.accuracy.a[slot] = location.accuracy_km;
    this.country.a[slot] = countryCode(location.country);
    this.hashHigh.a[slot] = parseInt(hash.slice(0, 8), 16);
    this.hashLow.a[slot] = parseInt(hash.slice(8, 12), 16);
  }

  get approxBytes(): number {
    return this.table.approxBytes;
  }
}

/** Distinct sessions hopping across the country on one ASN in a day that make it a carrier's pools. */
const CARRIER_POOL_SESSIONS = 4;

/** Networks remembered as endpoints of implausible jumps. */
const EGRESS_NETWORKS = 16_384;

/**
 * The same session or user seen at two places further apart than anyone can travel in the
 * time between: a copied token used elsewhere. Locations are coarse, so both accuracy radii
 * are subtracted from the distance first and short hops never count; a hosting or VPN range
 * says nothing about where the person is, so such pairs are skipped or discounted.
 *
 * Resolvers often cannot tell a VPN exit or a carrier's egress from a home (DB-IP Lite has no
 * ASN), so the detector also learns them from behaviour: a network that `shared_network_sessions`
 * different sessions have "jumped" to or from is a shared egress (a VPN exit, a carrier NAT
 * placed far from its users), and later jumps through it count as hosting ones. A thief's own
 * network is the endpoint of his stolen sessions only, so it stays suspicious far longer.
 *
 * It also learns from every move, plausible or not (shared-egress.ts): a /24 that sessions
 * from many blocks move onto, a /16 that sessions from several countries arrive at, and, for
 * jumps within one country, a busy /24 or a distance within what the country's sessions
 * usually "jump" (country-spread.ts: carriers registering a whole country's NAT in one city).
 * The last applies to sessions only: a user appearing elsewhere in a new session (an account
 * takeover) is still judged on distance and speed alone.
 */
export class ImpossibleTravelDetector implements EngineDetector {
  readonly name = 'impossible_travel';
  private readonly sessions: Anchors;
  private readonly users: Anchors | undefined;
  /** Per network (by prefix hash): hashes of the sessions that jumped implausibly through it. */
  private readonly egress = new BoundedLru<number, number[]>(EGRESS_NETWORKS);
  /** Per network: where the sessions moving through it come from, and how many use it. */
  private readonly profiles: SharedEgressProfiles;
  /** Per country: how far its legitimate same-country jumps reach (misplaced carrier egress). */
  private readonly spread = new CountrySpread();
  /** Per ASN: sessions that hopped across the country on it (carriers that also sell home lines). */
  private readonly pools = new CarrierPools(CARRIER_POOL_SESSIONS);
  /**
   * Per user: hashes of sessions linked by guest transfer codes (`session.transferred`). Their
   * places are one person's two devices, both in hand at once, so a user's "jump" between two
   * of them is a cross-device move, not a copied token; each session is still judged alone.
   */
  private readonly transfers = new BoundedLru<string, number[]>(EGRESS_NETWORKS);
  /** Event time of the first event seen: the country-spread warm-up runs from here. */
  private startedAt: number | undefined;

  constructor(private readonly config: ImpossibleTravelConfig) {
    this.sessions = new Anchors(config.max_sessions);
    this.users = config.track_users ? new Anchors(config.max_users) : undefined;
    this.profiles = new SharedEgressProfiles(
      { counterparts: config.shared_network_origins, busySessions: config.busy_network_sessions, countries: config.shared_block_countries },
      EGRESS_NETWORKS * 2,
    );
  }

  get approxBytes(): number {
    return (
      this.sessions.approxBytes +
      (this.users?.approxBytes ?? 0) +
      this.egress.size * (96 + 16 * this.config.shared_network_sessions) +
      this.transfers.size * (96 + 8 * 4) +
      this.profiles.approxBytes +
      this.spread.approxBytes +
      this.pools.approxBytes
    );
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    this.startedAt ??= input.time;
    const sessionId = sessionOf(input);
    if (!sessionId || !input.network) return NONE;
    const location = locate(input, context);
    if (!location) return NONE;
    const session = hash32(sessionId);
    if (input.type === 'session.transferred' && input.subject) this.linkTransfer(input.subject, hash32(input.from_session_id), session);
    const bySession = this.check(this.sessions, { kind: 'session', id: sessionId }, input, location, session);
    // In session events `subject` is the user id (events/types.ts), so a user is followed across sessions.
    const byUser = this.users && input.subject ? this.check(this.users, { kind: 'user', id: input.subject }, input, location, session) : undefined;
    if (!bySession && !byUser) return NONE;
    return bySession && byUser ? [bySession, byUser] : [(bySession ?? byUser)!];
  }

  private check(anchors: Anchors, entity: Entity, input: DetectionInput, resolved: GeoLocation, session: number): Finding | undefined {
    const prefix = input.network!.ip_prefix;
    const slot = anchors.acquire(entity.id);
    const hosting = resolved.datacenter === true;
    // An ASN whose sessions hop across the country within minutes is a carrier's pools, as the static list's are.
    const location = !resolved.mobile && this.pools.isPool(resolved.asn, input.time, session) ? { ...resolved, mobile: true } : resolved;
    if (!anchors.has(slot)) {
      if (!hosting) anchors.set(slot, input.time, location, prefix, session);
      if (entity.kind === 'session') this.profiles.arrived(hash32(prefixHash(prefix)), session, input.time);
      return undefined;
    }
    if (hosting && this.config.datacenter_factor === 0) return undefined;
    if (!hosting && anchors.samePlace(slot, location)) {
      // A carrier's pool placed where the anchor is proves nothing about where the phone is now;
      // for a user it still says when the user was last seen in the anchor's country (below).
      if (!location.mobile) anchors.touch(slot, input.time, session);
      else if (entity.kind === 'user') anchors.touch(slot, input.time, anchors.sessionOf(slot));
      return undefined;
    }
    // A user's jump within one session is already that session's finding; one between two
    // sessions a transfer code linked is the same person on two devices.
    const sameSession = entity.kind === 'user' && (anchors.sessionOf(slot) === session || this.linked(entity.id, anchors.sessionOf(slot), session));
    const anchor = anchors.read(slot);
    if (entity.kind === 'session' && !hosting) this.learnPool(session, anchor, location, input.time);
    const knownPlace = anchors.wasAt(slot, location, location.accuracy_km + this.config.min_distance_km);
    // Back on the home carrier after a place abroad: home-routed roaming shows the home
    // carrier's address wherever the phone is, so this says "still roaming", not "flew home".
    const roamingHome =
      location.mobile === true && location.country !== undefined && location.country !== anchor.location.country && anchors.wasIn(slot, location.country);
    // A carrier's address in the country of the anchor says only "still in this country", so
    // it does not move the anchor: the time since the last real place keeps counting (a phone
    // landing abroad first shows its home carrier's address, then the hotel's Wi-Fi).
    const carrierInCountry = location.mobile === true && anchor.location.country !== undefined && anchor.location.country === location.country;
    if (!hosting && !carrierInCountry) anchors.set(slot, input.time, location, prefix, session);
    // A user's sessions on a carrier in the anchor's country do say when the user was last seen
    // there: the owner at home on a line of an ASN that also runs mobile pools (learnt as a
    // carrier), then a thief signing in abroad minutes later. Left stale, the anchor's time would
    // be the owner's last other place days before, and the sign-in abroad a plausible trip. A
    // session's anchor keeps its time (home-routed roaming after a flight shows the home
    // carrier's address abroad, minutes before the hotel's Wi-Fi).
    else if (carrierInCountry && entity.kind === 'user') anchors.touch(slot, input.time, anchors.sessionOf(slot));
    if (sameSession) return undefined;
    // A session going back to where it was just before (hotel Wi-Fi and roaming data, a VPN
    // switched on and off, two carrier pools): the first move between the two places was
    // judged already, and each return would only repeat that finding.
    if (entity.kind === 'session' && (knownPlace || roamingHome)) return undefined;
    // Across a user's sessions only a new sign-in is a jump: an older session turning up
    // elsewhere is another device that has been there all along (a laptop at home, a phone
    // with its owner), and a sign-in where the user was just before is a known place.
    if (entity.kind === 'user' && (!SIGN_INS.has(input.type) || knownPlace)) return undefined;
    const to: Sighting = { time: input.time, location, prefixHash: prefixHash(prefix), block: blockOf(prefix) };
    const found = this.judge(entity, session, anchor, to);
    if (entity.kind === 'session') {
      const from = { network: hash32(anchor.prefixHash), block: anchor.block, country: countryCode(anchor.location.country) };
      const here = { network: hash32(to.prefixHash), block: to.block, country: countryCode(location.country) };
      this.profiles.arrived(here.network, session, input.time);
      this.profiles.moved(from, here, input.time);
    }
    return found;
  }

  /** A session that stayed on its ASN but was placed far away within minutes: a carrier's pool hop. */
  private learnPool(session: number, anchor: Sighting, location: GeoLocation, time: number): void {
    const asn = location.asn;
    if (asn === undefined || anchor.location.asn !== asn || anchor.location.country !== location.country) return;
    if (time - anchor.time > POOL_HOP_MS) return;
    const { lat, lon, accuracy_km: accuracy } = anchor.location;
    const effective = distanceKm(lat, lon, location.lat, location.lon) - accuracy - location.accuracy_km;
    if (effective > this.config.min_distance_km) this.pools.hopped(asn, session, time);
  }

  private linkTransfer(user: string, from: number, to: number): void {
    let family = this.transfers.get(user);
    if (!family) this.transfers.set(user, (family = []));
    for (const member of [from, to]) if (!family.includes(member)) family.push(member);
    // A user with more devices than this is rare; the oldest links go first.
    if (family.length > 16) family.splice(0, family.length - 16);
  }

  private linked(user: string, a: number, b: number): boolean {
    const family = this.transfers.peek(user);
    return family !== undefined && [a, b].every((session) => family.includes(session));
  }

  private judge(entity: Entity, session: number, from: Sighting, to: Sighting): Finding | undefined {
    const { max_speed_kmh: limit, min_distance_km: minimum } = this.config;
    const distance = distanceKm(from.location.lat, from.location.lon, to.location.lat, to.location.lon);
    const effective = distance - from.location.accuracy_km - to.location.accuracy_km;
    if (effective <= minimum) return undefined;
    const hours = Math.abs(to.time - from.time) / 3_600_000;
    const speed = hours > 0 ? effective / hours : Infinity;
    if (speed <= limit) return undefined;
    const country = from.location.country !== undefined && from.location.country === to.location.country ? from.location.country : undefined;
    // A mobile carrier's address is its pool, anywhere in its country (and abroad, home-routed
    // roaming keeps it): within that country the distance measures the carrier, not the phone.
    if (country !== undefined && (from.location.mobile || to.location.mobile)) return undefined;
    const learning = country !== undefined && entity.kind === 'session' && this.config.learn_country_spread;
    const withinSpread = learning && effective <= this.spread.spread(country);
    // A fresh detector has not yet learnt where the country's carriers place their phones.
    const warmingUp = learning && !this.spread.knows(country) && to.time - this.startedAt! < this.config.country_spread_warmup_s * 1000;
    if (learning) this.spread.record(country, effective);
    if (warmingUp) return undefined;
    const shared = this.sharedEgress(entity, session, from, to) || this.explainedByPopulation(session, from, to) || withinSpread;
    const hosting = to.location.datacenter === true || shared;
    if (shared && this.config.datacenter_factor === 0) return undefined;
    // 0.5 just over the limit, 1 at twice the limit (or at once).
    const score = (0.5 + 0.5 * Math.min(1, speed / limit - 1)) * (hosting ? this.config.datacenter_factor : 1);
    return finding(this.name, this.config, entity, to.time, score, {
      distance_km: Math.round(distance),
      effective_distance_km: Math.round(effective),
      elapsed_s: Math.round(hours * 3600),
      speed_kmh: Number.isFinite(speed) ? Math.round(speed) : null,
      limit_kmh: limit,
      from: { prefix_hash: from.prefixHash, ...(from.location.country ? { country: from.location.country } : {}), accuracy_km: from.location.accuracy_km },
      to: { prefix_hash: to.prefixHash, ...(to.location.country ? { country: to.location.country } : {}), accuracy_km: to.location.accuracy_km },
      ...(to.location.datacenter ? { datacenter: true } : {}),
      ...(shared ? { shared_egress: true } : {}),
      ...(withinSpread ? { within_country_spread: true } : {}),
    });
  }

  /**
   * Either end is a shared egress (sessions from many places move through it), or the jump
   * stays within one country and either end is a busy network, whose registered location
   * says little about where its many users are.
   */
  private explainedByPopulation(session: number, from: Sighting, to: Sighting): boolean {
    const [a, b] = [hash32(from.prefixHash), hash32(to.prefixHash)];
    if (this.profiles.isShared(a, to.time, to.block) || this.profiles.isShared(b, to.time, from.block)) return true;
    const [fromCountry, toCountry] = [countryCode(from.location.country), countryCode(to.location.country)];
    if (this.profiles.isMultinational(from.block, to.time, toCountry) || this.profiles.isMultinational(to.block, to.time, fromCountry)) return true;
    const sameCountry = from.location.country !== undefined && from.location.country === to.location.country;
    return sameCountry && (this.profiles.isBusy(a, to.time, session) || this.profiles.isBusy(b, to.time, session));
  }

  /**
   * Records a session's implausible jump on both of its networks, and on their wider blocks
   * (a carrier or VPN provider spreads its users over many /24s of one block), and says whether
   * either end was already a shared egress: a /24 that `shared_network_sessions` other sessions
   * jumped through, or a block that twice as many did. Only sessions are counted (a user's
   * jump is also its session's), so one person with two devices does not make a network shared.
   */
  private sharedEgress(entity: Entity, session: number, from: Sighting, to: Sighting): boolean {
    const needed = this.config.shared_network_sessions;
    if (needed === 0) return false;
    const ends: [number, number][] = [
      [hash32(from.prefixHash), needed],
      [hash32(to.prefixHash), needed],
      [from.block, 2 * needed],
      [to.block, 2 * needed],
    ];
    let shared = false;
    for (const [network, threshold] of ends) {
      let seen = this.egress.get(network);
      if (!seen) this.egress.set(network, (seen = []));
      const others = seen.length - (seen.includes(session) ? 1 : 0);
      if (others >= threshold) shared = true;
      else if (entity.kind === 'session' && !seen.includes(session)) seen.push(session);
    }
    return shared;
  }
}
