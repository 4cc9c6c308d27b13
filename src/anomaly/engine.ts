import { resolveDetectionConfig, type DetectionConfigInput } from './config-schema.js';
import type { DetectionConfig, DetectorName } from './config.js';
import { createDetectors, type EngineDetector } from './detectors/index.js';
import { FeedbackMemory, type FeedbackAdjustment, type Verdict } from './feedback.js';
import { BoundedLru } from '../shared/bounded-lru.js';
import type { DetectionContext, DetectionEngineApi, DetectionInput, EngineStats, Entity, Finding, GeoLocation, GeoResolver } from './types.js';

export { prefixAddress, prefixHash } from './detectors/index.js';

export interface DetectionEngineOptions {
  /** Overrides of `defaultDetectionConfig` at any depth (a whole `DetectionConfig` works too). */
  config?: DetectionConfigInput;
  /** Where networks are; detectors ask it about the first address of each event's prefix. */
  geo: GeoResolver;
}

const ENTRY_BYTES = 160;

/**
 * The detection engine the server, `guestpass detect --replay` and the simulator share. It
 * feeds every domain event, in event-time order, to each enabled detector, and returns their
 * findings once per (detector, entity, alert window), minus those about allow-listed entities.
 *
 * Time is the events' own `time` and nothing else (no clock is read anywhere in the engine or
 * the detectors), so a day of recorded traffic replays in seconds with the same verdicts it
 * would have had live. All state is bounded: sketches, top-k tables and LRUs sized by the
 * configuration; `stats().approxBytes` accounts for it.
 */
export class DetectionEngine implements DetectionEngineApi {
  readonly config: DetectionConfig;
  private readonly detectors: EngineDetector[];
  private readonly allowed: BoundedLru<string, number>;
  private readonly emitted: BoundedLru<string, true>;
  /** `kind:id` → until when (event time) a finding about it keeps its traffic out of baselines. */
  private readonly suspects: BoundedLru<string, number>;
  private readonly feedbackMemory: FeedbackMemory;
  private readonly findingCounts: Record<string, number> = {};
  private readonly context: DetectionContext;
  private readonly geo: GeoResolver;
  private events = 0;
  /** One lookup per event even when several detectors ask (the resolver may be an mmdb read). */
  private lastAddress: string | undefined;
  private lastLocation: GeoLocation | undefined;

  constructor({ config, geo }: DetectionEngineOptions) {
    this.config = resolveDetectionConfig(config);
    this.detectors = createDetectors(this.config);
    for (const detector of this.detectors) this.findingCounts[detector.name] = 0;
    this.allowed = new BoundedLru(this.config.engine.allow_list_entries);
    this.emitted = new BoundedLru(this.config.engine.dedup_entries);
    this.suspects = new BoundedLru(this.config.engine.dedup_entries);
    this.feedbackMemory = new FeedbackMemory(this.config.engine.allow_list_entries);
    this.geo = geo;
    this.context = {
      geo: { resolve: (address) => this.resolve(address) },
      isAllowListed: (entity, time) => this.isAllowListed(entity, time),
      isSuspect: (entity, time) => this.isSuspect(entity, time),
    };
  }

  /** Feeds one event to every detector; the new findings (usually none). */
  process(input: DetectionInput): Finding[] {
    this.events++;
    this.lastAddress = undefined;
    let accepted: Finding[] | undefined;
    for (const detector of this.detectors) {
      const found = detector.observe(input, this.context);
      for (const candidate of found) {
        const adjusted = this.accept(candidate);
        if (adjusted) (accepted ??= []).push(adjusted);
      }
    }
    return accepted ?? [];
  }

  /**
   * Feedback: the entity was a false positive. Until `until` (event time, ms) no finding is
   * reported about it and no detector learns from its windows.
   */
  allowList(entity: Entity, until: number): void {
    const key = entityKey(entity);
    this.allowed.set(key, Math.max(until, this.allowed.peek(key) ?? 0));
  }

  /**
   * Feedback that learns: a verdict about a finding of `detector` on `entity` adjusts, within
   * bounds, how that detector's later findings about it are weighed (feedback.ts). Returns
   * the adjustment now in force, for the verdict's response and logs.
   */
  feedback(detector: string, entity: Entity, verdict: Verdict): FeedbackAdjustment {
    return this.feedbackMemory.record(detector, entity, verdict);
  }

  /** Sets the verdict counts about one (detector, entity) outright, from storage (idempotent). */
  restoreFeedback(detector: string, entity: Entity, counts: { falsePositives: number; confirmed: number }): void {
    this.feedbackMemory.restore(detector, entity, counts);
  }

  stats(): EngineStats {
    const detectorBytes = this.detectors.reduce((sum, detector) => sum + detector.approxBytes, 0);
    return {
      events: this.events,
      findings: { ...this.findingCounts },
      feedback: this.feedbackMemory.stats(),
      approxBytes: detectorBytes + (this.allowed.size + this.emitted.size + this.suspects.size) * ENTRY_BYTES + this.feedbackMemory.approxBytes,
    };
  }

  private isAllowListed(entity: Entity, time: number): boolean {
    if (this.allowed.size === 0) return false;
    const until = this.allowed.peek(entityKey(entity));
    return until !== undefined && until > time;
  }

  private isSuspect(entity: Entity, time: number): boolean {
    if (this.suspects.size === 0) return false;
    const until = this.suspects.peek(entityKey(entity));
    return until !== undefined && until > time;
  }

  /**
   * A reported entity stays suspect for its detector's alert window. A client is never one:
   * an application's whole traffic would drop out of every baseline because of one burst.
   */
  private markSuspect(finding: Finding): void {
    if (finding.entity.kind === 'client') return;
    const key = entityKey(finding.entity);
    const until = finding.time + (this.config.detectors[finding.detector as DetectorName]?.alert_window_s ?? 3600) * 1000;
    if ((this.suspects.peek(key) ?? 0) < until) this.suspects.set(key, until);
  }

  /** The finding to report (adjusted by feedback), or undefined: allow-listed or already reported. */
  private accept(candidate: Finding): Finding | undefined {
    if (this.isAllowListed(candidate.entity, candidate.time)) return undefined;
    this.markSuspect(candidate);
    const key = `${candidate.detector}|${entityKey(candidate.entity)}|${candidate.window_start}`;
    if (this.emitted.peek(key)) return undefined;
    this.emitted.set(key, true);
    this.findingCounts[candidate.detector] = (this.findingCounts[candidate.detector] ?? 0) + 1;
    return this.feedbackMemory.apply(candidate);
  }

  private resolve(address: string): GeoLocation | undefined {
    if (address !== this.lastAddress) {
      this.lastAddress = address;
      this.lastLocation = this.geo.resolve(address);
    }
    return this.lastLocation;
  }
}

function entityKey(entity: Entity): string {
  return `${entity.kind}:${entity.id}`;
}
