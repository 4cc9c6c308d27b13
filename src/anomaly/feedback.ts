import { BoundedLru } from '../shared/bounded-lru.js';
import type { Entity, Finding, Severity } from './types.js';
import { severityFor } from './detectors/common.js';

/**
 * The verdicts that teach the engine: `false_positive` (on main) and `confirmed` (added by
 * the console-data branch). A string union, so that a new verdict is one more member here
 * and one more case in `adjustmentOf`, nothing else.
 */
export type Verdict = 'false_positive' | 'confirmed';

/** The verdict an alert status carries for learning, if any (`acknowledged`, `resolved`, `open` teach nothing). */
export function verdictOf(status: string): Verdict | undefined {
  return status === 'false_positive' || status === 'confirmed' ? status : undefined;
}

/** Verdicts about one (detector, entity). */
interface EntityVerdicts {
  falsePositives: number;
  confirmed: number;
}

/** What verdicts made of one detector's judgement of one entity, shown in a finding's evidence. */
export interface FeedbackAdjustment {
  false_positives: number;
  confirmed: number;
  /** A finding about this entity below this score is reported low and contained by observing only (0: no floor). */
  score_floor: number;
  /** Set on a finding that was below `score_floor`. */
  below_floor?: true;
  /** Multiplies the finding's score (within bounds). */
  weight: number;
}

/** Each false positive past the first raises the floor by this much... */
const FLOOR_STEP = 0.2;
/** ...up to this: a certain finding (a broken invariant, score 1) always gets through. */
const MAX_FLOOR = 0.8;
/** Each confirmation adds this much weight, up to MAX_WEIGHT. */
const WEIGHT_STEP = 0.25;
const MAX_WEIGHT = 1.5;
const ENTRY_BYTES = 120;

/**
 * Feedback that learns, within bounds and visibly: per detector and
 * entity, the verdicts given so far. Two false positives about a network raise the score a
 * detector's finding about it needs to act (by 0.2 each, at most 0.8): below it the finding
 * is still recorded, but low and observe-only, never dropped, since detectors report an
 * entity once per window at the moment it crosses their own floor, and a blatant attack from
 * a network once misjudged must still leave a trace. Confirmations raise the weight of
 * findings about it (by 0.25 each, at most 1.5×, so the same entity's next alert is more
 * severe). One false positive only allow-lists for a while (the engine's `allowList`): the
 * first mistake is forgiven, the second is learnt. The adjustment goes into the finding's
 * evidence (`feedback`) and, counted per detector, into /metrics.
 */
export class FeedbackMemory {
  private readonly verdicts: BoundedLru<string, EntityVerdicts>;
  private readonly downgraded: Record<string, number> = {};

  constructor(entries: number) {
    this.verdicts = new BoundedLru(entries);
  }

  get approxBytes(): number {
    return this.verdicts.size * ENTRY_BYTES;
  }

  record(detector: string, entity: Entity, verdict: Verdict): FeedbackAdjustment {
    const key = keyOf(detector, entity);
    const entry = this.verdicts.get(key) ?? { falsePositives: 0, confirmed: 0 };
    if (verdict === 'false_positive') entry.falsePositives++;
    else entry.confirmed++;
    this.verdicts.set(key, entry);
    return adjustmentOf(entry);
  }

  /** Sets the counts outright (idempotent): rebuilding from stored verdicts, which may be loaded again and again. */
  restore(detector: string, entity: Entity, counts: { falsePositives: number; confirmed: number }): void {
    this.verdicts.set(keyOf(detector, entity), { ...counts });
  }

  /** The finding as verdicts make it. */
  apply(finding: Finding): Finding {
    if (this.verdicts.size === 0) return finding;
    const entry = this.verdicts.peek(keyOf(finding.detector, finding.entity));
    if (!entry) return finding;
    const adjustment = adjustmentOf(entry);
    // A broken invariant (score 1) is certain whatever was said before.
    if (finding.score < 1 && finding.score < adjustment.score_floor) {
      this.downgraded[finding.detector] = (this.downgraded[finding.detector] ?? 0) + 1;
      return { ...finding, severity: 'low', evidence: { ...finding.evidence, feedback: { ...adjustment, below_floor: true } } };
    }
    const score = Math.round(Math.min(1, finding.score * adjustment.weight) * 1000) / 1000;
    const severity: Severity = adjustment.weight > 1 ? higher(finding.severity, severityFor(score)) : finding.severity;
    return { ...finding, score, severity, evidence: { ...finding.evidence, feedback: adjustment } };
  }

  /** Per detector: entities whose findings verdicts adjust, by direction, and findings downgraded below a raised floor. */
  stats(): Record<string, FeedbackStats> {
    const out: Record<string, FeedbackStats> = {};
    const row = (detector: string) => (out[detector] ??= { raised_floor: 0, boosted: 0, downgraded: 0 });
    for (const [key, entry] of this.verdicts.entriesIterator()) {
      const detector = key.slice(0, key.indexOf('|'));
      const adjustment = adjustmentOf(entry);
      if (adjustment.score_floor > 0) row(detector).raised_floor++;
      if (adjustment.weight > 1) row(detector).boosted++;
    }
    for (const [detector, n] of Object.entries(this.downgraded)) row(detector).downgraded = n;
    return out;
  }
}

export interface FeedbackStats {
  raised_floor: number;
  boosted: number;
  downgraded: number;
}

/** Whether verdicts kept this finding below its entity's raised floor: containment only observes. */
export function belowLearntFloor(finding: Finding): boolean {
  const feedback = finding.evidence['feedback'];
  return typeof feedback === 'object' && feedback !== null && (feedback as FeedbackAdjustment).below_floor === true;
}

function adjustmentOf(entry: EntityVerdicts): FeedbackAdjustment {
  // A confirmation outweighs a false positive: someone looked again and found it real.
  const net = Math.max(0, entry.falsePositives - 1 - entry.confirmed);
  return {
    false_positives: entry.falsePositives,
    confirmed: entry.confirmed,
    score_floor: Math.round(Math.min(MAX_FLOOR, net * FLOOR_STEP) * 100) / 100,
    weight: Math.min(MAX_WEIGHT, 1 + WEIGHT_STEP * entry.confirmed),
  };
}

const ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
function higher(a: Severity, b: Severity): Severity {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

function keyOf(detector: string, entity: Entity): string {
  return `${detector}|${entity.kind}:${entity.id}`;
}
