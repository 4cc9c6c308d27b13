import { prefixAddress } from '../../src/anomaly/engine.js';
import type { Entity, Finding, GeoResolver } from '../../src/anomaly/types.js';
import type { Places } from './places/index.js';
import { ATTACK_KINDS, HARD_INVARIANT_KINDS, type AttackKind, type AttackLabel, type GroundTruth, type LabelEntity } from './truth.js';

/** The detectors that judge broken invariants: any finding of theirs not about an attack is a false positive. */
export const HARD_INVARIANT_DETECTORS: ReadonlySet<string> = new Set(['token_reuse', 'client_mismatch', 'dpop_mismatch']);

/** The detector meant for each attack kind: when several name an attack at the same instant, it gets the credit. */
const PRIMARY_DETECTORS: Record<AttackKind, readonly string[]> = {
  signup_flood: ['signup_flood'],
  refresh_storm: ['refresh_storm'],
  token_replay: ['token_reuse'],
  impossible_travel: ['impossible_travel'],
  client_swap: ['client_mismatch'],
  credential_stuffing: ['credential_stuffing'],
  low_and_slow_stuffing: ['credential_stuffing'],
  off_hours: ['off_hours'],
  scope_probing: ['scope_probing'],
  session_cycling: ['revocation_chain'],
  slow_token_theft: ['account_new_network', 'impossible_travel'],
};

export interface EvaluateOptions {
  /** A finding counts for an attack up to this long after the attack's last request (ms). @default 600_000 */
  horizonMs?: number;
  /** To name the ASN of an attack's prefix, as detectors may. */
  geo?: GeoResolver;
  places?: Places;
}

/** Per attack kind, as `--report json` prints it. */
export interface AttackSummary {
  kind: AttackKind;
  injected: number;
  detected: number;
  /** Median over detected instances of (first matching finding − injection), event-time seconds; null if none was detected. */
  median_ttd_s: number | null;
}

export interface InstanceResult {
  id: string;
  kind: AttackKind;
  injected: number;
  detected: boolean;
  ttd_s: number | null;
  detector: string | null;
  /** Time to detect by the detector meant for this kind (another may have been first), or null. */
  primary_ttd_s: number | null;
  note: string;
}

export interface SimulationReport {
  attacks: AttackSummary[];
  legit_sessions: number;
  false_alerts: number;
  false_alerts_per_10k: number;
  /** What follows is not in the JSON shape; it explains the numbers above. */
  detail: {
    events: number;
    findings: number;
    /** Attacks left out because what gives them away would come after the end of the window. */
    cut_off: string[];
    hard_invariant_false_positives: number;
    false_alerts_by_detector: Record<string, number>;
    /** Which legitimate population the falsely accused entities belong to. */
    false_alerts_by_cohort: Record<string, number>;
    legit_sessions_by_cohort: Record<string, number>;
    instances: InstanceResult[];
    /** Up to 20 false alerts, for whoever tunes the detectors. */
    false_alert_samples: Finding[];
  };
}

function key(kind: string, id: string): string {
  return `${kind}:${id}`;
}

/**
 * Matches findings to the ground truth. An attack is detected when a finding names one of
 * its entities (its session or user, its /24, that /24's ASN if the resolver knows it, or
 * for distributed attacks the deployment-wide verdict of the named detector) between its
 * injection and `horizonMs` after its last request; time to detect is that finding's event
 * time minus the injection. A false alert is a finding (the engine emits one per detector,
 * entity and alert window) that matches no attack and names no entity an attacker used.
 */
export function evaluate(truth: GroundTruth, findings: Finding[], events: number, options: EvaluateOptions = {}): SimulationReport {
  const horizonMs = options.horizonMs ?? 600_000;
  const byEntity = new Map<string, { label: AttackLabel; entity: LabelEntity }[]>();
  const wildcards = new Map<string, { label: AttackLabel; entity: LabelEntity }[]>();
  const add = (label: AttackLabel, entity: LabelEntity): void => {
    const map = entity.id === '*' ? wildcards : byEntity;
    const k = entity.id === '*' ? entity.kind : key(entity.kind, entity.id);
    map.set(k, [...(map.get(k) ?? []), { label, entity }]);
  };
  for (const label of truth.labels) {
    for (const entity of label.entities) {
      add(label, entity);
      const asn = entity.kind === 'prefix' && entity.id !== '*' ? options.geo?.resolve(entity.id)?.asn : undefined;
      if (asn !== undefined) add(label, { kind: 'asn', id: String(asn) });
    }
  }
  const matches = (finding: Finding): AttackLabel[] => {
    const candidates = [...(byEntity.get(key(finding.entity.kind, finding.entity.id)) ?? []), ...(wildcards.get(finding.entity.kind) ?? [])];
    return candidates
      .filter(
        ({ label, entity }) =>
          finding.time >= label.injected &&
          finding.time <= label.until + horizonMs &&
          (!entity.detectors || entity.detectors.includes(finding.detector)) &&
          (!entity.country || finding.evidence['country'] === entity.country),
      )
      .map(({ label }) => label);
  };

  const firstFinding = new Map<string, Finding>();
  const firstPrimary = new Map<string, Finding>();
  const falseAlerts: Finding[] = [];
  const sorted = [...findings].sort((a, b) => a.time - b.time);
  for (const finding of sorted) {
    const labels = matches(finding);
    for (const label of labels) {
      const first = firstFinding.get(label.id);
      // Within a second, the detector meant for the attack gets the credit (events of one request may reach detectors in any order).
      const primary = (f: Finding) => PRIMARY_DETECTORS[label.kind].includes(f.detector);
      if (primary(finding) && !firstPrimary.has(label.id)) firstPrimary.set(label.id, finding);
      if (!first || (finding.time - first.time <= 1000 && primary(finding) && !primary(first))) firstFinding.set(label.id, finding);
    }
    if (labels.length > 0) continue;
    const attackerSince = truth.attackerEntities.get(key(finding.entity.kind, finding.entity.id));
    if (attackerSince !== undefined && finding.time >= attackerSince) continue;
    if (finding.entity.kind === 'client' && truth.clientUsedByAttack(finding.entity.id, finding.time, horizonMs, fromPlaceOf(finding, options.geo))) continue;
    falseAlerts.push(finding);
  }

  const instances: InstanceResult[] = truth.labels.map((label) => {
    const found = firstFinding.get(label.id);
    const primary = firstPrimary.get(label.id);
    return {
      id: label.id,
      kind: label.kind,
      injected: label.injected,
      detected: found !== undefined,
      ttd_s: found ? (found.time - label.injected) / 1000 : null,
      detector: found?.detector ?? null,
      primary_ttd_s: primary ? (primary.time - label.injected) / 1000 : null,
      note: label.note,
    };
  });
  const kinds = ATTACK_KINDS.filter((kind) => instances.some((i) => i.kind === kind));
  const attacks: AttackSummary[] = kinds.map((kind) => {
    const ofKind = instances.filter((i) => i.kind === kind);
    const ttds = ofKind.flatMap((i) => (i.ttd_s === null ? [] : [i.ttd_s]));
    return { kind, injected: ofKind.length, detected: ttds.length, median_ttd_s: ttds.length === 0 ? null : round(median(ttds), 1) };
  });

  const byDetector: Record<string, number> = {};
  const byCohort: Record<string, number> = {};
  for (const finding of falseAlerts) {
    byDetector[finding.detector] = (byDetector[finding.detector] ?? 0) + 1;
    const cohort = cohortOf(finding.entity, truth, options.places);
    byCohort[cohort] = (byCohort[cohort] ?? 0) + 1;
  }
  return {
    attacks,
    legit_sessions: truth.legitSessions,
    false_alerts: falseAlerts.length,
    false_alerts_per_10k: truth.legitSessions === 0 ? 0 : round((falseAlerts.length * 10_000) / truth.legitSessions, 2),
    detail: {
      events,
      findings: findings.length,
      cut_off: truth.cutOff,
      hard_invariant_false_positives: falseAlerts.filter((f) => HARD_INVARIANT_DETECTORS.has(f.detector)).length,
      false_alerts_by_detector: byDetector,
      false_alerts_by_cohort: byCohort,
      legit_sessions_by_cohort: Object.fromEntries(truth.legitSessionsByCohort),
      instances,
      false_alert_samples: sampleAcrossDetectors(falseAlerts, 20),
    },
  };
}

/**
 * For a finding about a client's traffic from one country (its evidence names it): whether a
 * network is there, so that only an attack from that country excuses it. Undefined otherwise.
 */
function fromPlaceOf(finding: Finding, geo: GeoResolver | undefined): ((prefix: string) => boolean) | undefined {
  const country = finding.evidence['country'];
  if (typeof country !== 'string' || !geo) return undefined;
  return (prefix) => geo.resolve(prefixAddress(prefix))?.country === country;
}

function cohortOf(entity: Entity, truth: GroundTruth, places: Places | undefined): string {
  if (entity.kind === 'session' || entity.kind === 'user') return truth.cohorts.get(key(entity.kind, entity.id)) ?? `unknown ${entity.kind}`;
  if (entity.kind === 'prefix') return `${places?.kindOf(entity.id) ?? 'unknown'} prefix`;
  return entity.kind;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Did the run meet the detection targets (docs/simulator.md)? One line per target, for the human report. */
export function acceptance(report: SimulationReport): { target: string; met: boolean }[] {
  const hard = report.attacks.filter((a) => HARD_INVARIANT_KINDS.has(a.kind));
  const soft = report.attacks.filter((a) => !HARD_INVARIANT_KINDS.has(a.kind));
  return [
    { target: 'hard invariants: every instance detected', met: hard.every((a) => a.detected === a.injected) },
    { target: 'hard invariants: no false positive', met: report.detail.hard_invariant_false_positives === 0 },
    ...soft.map((a) => ({
      target: `${a.kind}: ≥ 90% detected, median time to detect ≤ 60 s`,
      met: a.detected >= 0.9 * a.injected && a.median_ttd_s !== null && a.median_ttd_s <= 60,
    })),
    { target: '≤ 5 false alerts per 10,000 legitimate sessions', met: report.false_alerts_per_10k <= 5 },
  ];
}

/** Up to `n` findings, taking from every detector in turn so a noisy one does not hide the rest. */
function sampleAcrossDetectors(findings: Finding[], n: number): Finding[] {
  const byDetector = new Map<string, Finding[]>();
  for (const finding of findings) byDetector.set(finding.detector, [...(byDetector.get(finding.detector) ?? []), finding]);
  const queues = [...byDetector.values()];
  const out: Finding[] = [];
  for (let i = 0; out.length < n && queues.some((q) => q.length > i); i += 1) for (const q of queues) if (q[i] && out.length < n) out.push(q[i]!);
  return out;
}
