/**
 * The contract of the anomaly feature: what the detection engine consumes and what it
 * produces. The engine, the server, `guestpass detect --replay` and `guestpass simulate` all
 * speak these types, so a replayed day and a live day go through exactly the same code.
 */
import type { DomainEvent } from '../events/types.js';

/**
 * What detectors consume: a domain event (events/types.ts; its `time` is event time) as
 * the bus emits it, one JSON object per line in replay files. `docs/events.md` documents it.
 */
export type DetectionInput = DomainEvent;

/** What an alert is about. Ids are pseudonymous: a session id, a user id, a client id, a network prefix, an ASN. */
export interface Entity {
  kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
  id: string;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** A detector's scored verdict with the evidence a human needs to judge it. */
export interface Finding {
  /** The detector's name: `token_reuse`, `client_mismatch`, `dpop_mismatch`, `impossible_travel`, `refresh_storm`, `signup_flood`, `credential_stuffing`, `off_hours`, `ingestion_spike`, `user_code_guessing`. */
  detector: string;
  entity: Entity;
  /** 0..1: 1 for a broken invariant. */
  score: number;
  severity: Severity;
  /** Event time (ms) of the event that tipped the detector. */
  time: number;
  /** Start of the window the finding is about (ms); alerts are deduplicated per (detector, entity, window). */
  window_start: number;
  /** Never raw IPs or e-mail addresses: prefix hashes, countries, counts, speeds. */
  evidence: Record<string, unknown>;
}

/** What containment may do for a detector's findings: observe, throttle, block, revoke, quarantine. */
export type ContainmentAction = 'observe' | 'throttle' | 'revoke' | 'block_prefix' | 'quarantine';

/** Where an IP or network is, as well as a resolver can tell. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2, or undefined when unknown. */
  country?: string;
  lat: number;
  lon: number;
  /** Radius within which the true location lies; large for country-level data. */
  accuracy_km: number;
  asn?: number;
  /** Hosting, VPN or anonymiser range: travel across it says little. */
  datacenter?: boolean;
  /** A mobile carrier's ASN (geo/mobile-asns.ts): the location is the carrier's pool, anywhere in the country. */
  mobile?: boolean;
}

/** Resolves an address (or a network prefix's first address) to a location. */
export interface GeoResolver {
  resolve(ip: string): GeoLocation | undefined;
}

/**
 * One detector: a file in src/anomaly/detectors/. `observe` sees every input in event-time
 * order and returns findings (usually none). State must stay bounded (sketches, LRUs).
 */
export interface Detector {
  readonly name: string;
  observe(input: DetectionInput, context: DetectionContext): Finding[];
}

/** What the engine gives every detector besides the event. */
export interface DetectionContext {
  geo: GeoResolver;
  /** True when feedback marked this entity a false positive and the allow-listing still runs: no findings, no learning. */
  isAllowListed(entity: Entity, time: number): boolean;
  /**
   * True when some detector reported this entity (a session, user, network or ASN) within its
   * alert window before `time`: baselines leave out what such entities did, so one attack
   * does not teach another detector that its traffic is normal.
   */
  isSuspect(entity: Entity, time: number): boolean;
}

/**
 * The engine (src/anomaly/engine.ts) the server, replay and the simulator share:
 * `new DetectionEngine({ config, geo })`, then `process(input)` per event in event-time
 * order → findings; `allowList(entity, untilMs)` and `feedback(detector, entity, verdict)`
 * from verdicts; `stats()` for /metrics and the memory bound.
 */
export interface DetectionEngineApi {
  process(input: DetectionInput): Finding[];
  allowList(entity: Entity, until: number): void;
  /** A verdict about one of `detector`'s findings on `entity` (feedback.ts): adjusts, within bounds, its later findings about it. */
  feedback(detector: string, entity: Entity, verdict: 'false_positive' | 'confirmed'): unknown;
  restoreFeedback(detector: string, entity: Entity, counts: { falsePositives: number; confirmed: number }): void;
  stats(): EngineStats;
}

export interface EngineStats {
  events: number;
  findings: Record<string, number>;
  /** Per detector: entities whose floor verdicts raised, entities they boosted, findings downgraded below a raised floor (low, observe only). */
  feedback: Record<string, { raised_floor: number; boosted: number; downgraded: number }>;
  approxBytes: number;
}
