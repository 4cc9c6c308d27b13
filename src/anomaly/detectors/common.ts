import { createHash } from 'node:crypto';
import type { DetectorCommon } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { DetectionContext, DetectionInput, Detector, Entity, Finding, GeoLocation, Severity } from '../types.js';

/** A detector the engine can account for (stats().approxBytes). */
export interface EngineDetector extends Detector {
  readonly approxBytes: number;
}

/** What `observe` returns when nothing is found: one shared empty array, so quiet events allocate nothing. */
export const NONE: Finding[] = [];

/**
 * The first address of a network prefix (`203.0.113.0/24` → `203.0.113.0`,
 * `2001:db8:1::/48` → `2001:db8:1::`): what a resolver is asked about an event, which carries
 * the prefix only. Event prefixes are well-formed (shared/network.ts made them), so this only cuts.
 */
export function prefixAddress(prefix: string): string {
  const slash = prefix.indexOf('/');
  return slash < 0 ? prefix : prefix.slice(0, slash);
}

/** Where the event's network is, or undefined when it has none or the resolver does not know. */
export function locate(input: DetectionInput, context: DetectionContext): GeoLocation | undefined {
  return input.network ? context.geo.resolve(prefixAddress(input.network.ip_prefix)) : undefined;
}

const hashes = new BoundedLru<string, string>(65_536);

/**
 * A short SHA-256 of a network prefix (48 bits, 12 hex digits) for evidence: enough to tell
 * networks apart and correlate alerts, without the prefix itself appearing in alert storage
 * or logs. Containment that needs the network gets it from the entity of a prefix finding.
 */
export function prefixHash(prefix: string): string {
  let hash = hashes.get(prefix);
  if (hash === undefined) {
    hash = createHash('sha256').update(prefix).digest('hex').slice(0, 12);
    hashes.set(prefix, hash);
  }
  return hash;
}

/** The network part of evidence: the prefix hash and the country, never the prefix. */
export function networkEvidence(input: DetectionInput, context: DetectionContext): Record<string, unknown> {
  if (!input.network) return {};
  const location = locate(input, context);
  return {
    prefix_hash: prefixHash(input.network.ip_prefix),
    ...(location?.country ? { country: location.country } : {}),
    ...(location?.asn !== undefined ? { asn: location.asn } : {}),
    ...(location?.datacenter ? { datacenter: true } : {}),
  };
}

export function severityFor(score: number): Severity {
  return score >= 0.9 ? 'critical' : score >= 0.7 ? 'high' : score >= 0.4 ? 'medium' : 'low';
}

export function alertWindowStart(time: number, config: DetectorCommon): number {
  const span = config.alert_window_s * 1000;
  return Math.floor(time / span) * span;
}

/** A broken invariant (certain, no learning): one finding of score 1 with where it came from. */
export function invariantFinding(
  detector: string,
  config: DetectorCommon,
  entity: Entity,
  input: DetectionInput,
  context: DetectionContext,
  evidence: Record<string, unknown>,
  severity: Severity,
): Finding[] {
  return [finding(detector, config, entity, input.time, 1, { ...evidence, ...networkEvidence(input, context) }, severity)];
}

/** A finding with the detector's weight applied and its alert window filled in. */
export function finding(
  detector: string,
  config: DetectorCommon,
  entity: Entity,
  time: number,
  rawScore: number,
  evidence: Record<string, unknown>,
  severity?: Severity,
): Finding {
  const score = Math.round(Math.min(1, Math.max(0, rawScore * config.weight)) * 1000) / 1000;
  return { detector, entity, score, severity: severity ?? severityFor(score), time, window_start: alertWindowStart(time, config), evidence };
}

/** The session id of an event, when it has one. */
export function sessionOf(input: DetectionInput): string | undefined {
  return 'session_id' in input && typeof input.session_id === 'string' ? input.session_id : undefined;
}
