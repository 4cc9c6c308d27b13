import type { Entity } from '../../src/anomaly/types.js';

export const ATTACK_KINDS = [
  'signup_flood',
  'refresh_storm',
  'token_replay',
  'impossible_travel',
  'client_swap',
  'credential_stuffing',
  'low_and_slow_stuffing',
  'off_hours',
  'scope_probing',
  'session_cycling',
  'slow_token_theft',
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** Attacks whose detection is a broken invariant (certain, no learning): 100% expected. */
export const HARD_INVARIANT_KINDS: ReadonlySet<AttackKind> = new Set(['token_replay', 'client_swap']);

/** An entity a finding may name to count as catching an attack; `detectors` narrows shared entities. */
export interface LabelEntity extends Entity {
  /** Only findings of these detectors count (for entities legitimate traffic shares, such as a client). */
  detectors?: string[];
  /**
   * Only findings whose evidence names this country count: a finding about a client's traffic
   * from one place (off-hours) is about this attack only if it is about the attack's place.
   */
  country?: string;
}

/** One injected attack: what a detector should name, and when it started (event time). */
export interface AttackLabel {
  id: string;
  kind: AttackKind;
  /** Event time of the attack's first malicious request. */
  injected: number;
  /** Event time of its last malicious request. */
  until: number;
  entities: LabelEntity[];
  /** One line on this instance (variant, source, rate), for the human report. */
  note: string;
}

/** Which hard negative (or plain population) a legitimate entity belongs to. */
export type Cohort =
  | 'home'
  | 'login'
  | 'mobile_nat'
  | 'mobile_switch'
  | 'carrier_hop'
  | 'vpn'
  | 'traveller'
  | 'roaming'
  | 'offline_flush'
  | 'two_devices'
  | 'relay'
  | 'classroom'
  | 'two_tabs'
  | 'flash_crowd';

/**
 * What really happened, filled in as actors run: the attack labels, every entity attackers
 * touched (a finding about one is not a false alert even if no label names it, e.g. one of a
 * flood's bot sessions), and the cohort of each legitimate session and user.
 */
export class GroundTruth {
  readonly labels: AttackLabel[] = [];
  /** Attacks whose decisive request would fall after the end of the window: not scored. */
  readonly cutOff: string[] = [];
  readonly cohorts = new Map<string, Cohort>();
  /** `kind:id` → earliest event time an attacker used it. */
  readonly attackerEntities = new Map<string, number>();
  legitSessions = 0;
  readonly legitSessionsByCohort = new Map<Cohort, number>();
  private readonly clientUse: { clientId: string; from: number; until: number; prefixes: ReadonlySet<string> }[] = [];

  constructor(private readonly end = Infinity) {}

  /** Records an attack; one that could only be seen after the window ends is listed as cut off instead. */
  label(label: AttackLabel, decisive = label.injected): void {
    if (label.injected >= this.end || decisive >= this.end) {
      this.cutOff.push(label.id);
      return;
    }
    this.labels.push({ ...label, until: Math.min(label.until, this.end) });
  }

  legitSession(sessionId: string, userId: string, cohort: Cohort): void {
    this.legitSessions += 1;
    this.legitSessionsByCohort.set(cohort, (this.legitSessionsByCohort.get(cohort) ?? 0) + 1);
    this.cohorts.set(`session:${sessionId}`, cohort);
    if (!this.cohorts.has(`user:${userId}`)) this.cohorts.set(`user:${userId}`, cohort);
  }

  /**
   * An attack sent requests through a client between two times: a finding about the whole
   * client then (off-hours volume, a client-wide stuffing verdict) is the attack's doing,
   * not a false alert, though it may not be what the attack's label asks for.
   */
  attackThroughClient(clientId: string, from: number, until: number, prefixes: ReadonlySet<string>): void {
    this.clientUse.push({ clientId, from, until, prefixes });
  }

  /**
   * Whether an attack used the client around `time` (within `horizonMs` after its last
   * request); when `fromCountry` is given (the finding is about the client's traffic from one
   * place), only from a network there.
   */
  clientUsedByAttack(clientId: string, time: number, horizonMs: number, fromCountry?: (prefix: string) => boolean): boolean {
    return this.clientUse.some(
      (use) =>
        use.clientId === clientId &&
        time >= use.from &&
        time <= use.until + horizonMs &&
        (!fromCountry || [...use.prefixes].some((prefix) => fromCountry(prefix))),
    );
  }

  attacker(kind: Entity['kind'], id: string, time: number): void {
    const key = `${kind}:${id}`;
    const seen = this.attackerEntities.get(key);
    if (seen === undefined || time < seen) this.attackerEntities.set(key, time);
  }
}
