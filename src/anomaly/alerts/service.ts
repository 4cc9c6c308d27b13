import { newId } from '../../crypto/ids.js';
import type { Outbox } from '../../events/outbox.js';
import type { Metrics } from '../../shared/metrics.js';
import type { ContainmentService } from '../containment/service.js';
import { anomalyError } from '../error-codes.js';
import { verdictOf } from '../feedback.js';
import type { DetectionEngineApi, DetectionInput, Finding } from '../types.js';
import { AlertDedupe } from './dedupe.js';
import type { AlertStore } from './store.js';
import type { Alert, AlertPage, AlertQuery, AlertStatus } from './types.js';

export interface AlertServiceOptions {
  store: AlertStore;
  /** `alert.raised` is staged in the transaction that stores the new alert. */
  outbox: Pick<Outbox, 'stage'>;
  containment: ContainmentService;
  engine: Pick<DetectionEngineApi, 'allowList' | 'feedback'>;
  metrics?: Metrics | undefined;
  /** How long a false_positive verdict allow-lists the alert's entity. */
  allowListMs: number;
  /** After a verdict changes what the engine learnt (an allow-listing, a floor, a weight), for other nodes to reload it now. */
  onAllowListed?: () => void;
  /** After a verdict is stored and its consequences applied (the feature announces `alert.verdict`). */
  onVerdict?: (alert: Alert) => void;
  now: () => number;
  onError: (error: unknown, what: string) => void;
}

/**
 * Findings → alerts: the first finding about a (detector, entity, window) is contained at once
 * and stored with `alert.raised` in its outbox (one transaction), announced once it is; repeats are folded in (dedupe.ts). Verdicts
 * feed back: a false positive allow-lists its entity and lifts what the alert caused.
 */
export class AlertService {
  private readonly dedupe = new AlertDedupe();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly options: AlertServiceOptions) {}

  /** Synchronous: containment holds before this returns; writes continue in the background. */
  handle(finding: Finding, input: DetectionInput): void {
    if (this.dedupe.fold(finding)) return;
    const { store, containment, now } = this.options;
    const id = newId();
    const applied = containment.apply(finding, input, id);
    const open = this.dedupe.remember(finding, id, applied.action);
    this.options.metrics?.anomalyContainment.inc({ detector: finding.detector, action: applied.action });
    this.track(applied.persisted, 'applying containment');
    this.track(
      (async () => {
        const stored = await store.raise({ id, finding, action: applied.action, count: 1, lastSeen: finding.time, now: now() }, (trx) =>
          this.options.outbox.stage(trx, [
            {
              type: 'alert.raised',
              time: finding.time,
              alert_id: id,
              detector: finding.detector,
              entity_kind: finding.entity.kind,
              entity_id: finding.entity.id,
              severity: finding.severity,
              score: finding.score,
              action: applied.action,
              ...(input.network ? { network: input.network } : {}),
            },
          ]),
        );
        open.id = stored.id;
        await containment.attachAlert(applied, id, stored.id);
        if (!stored.staged) return;
        this.options.metrics?.anomalyAlerts.inc({ detector: finding.detector, severity: finding.severity });
        stored.staged.announce();
      })(),
      'storing an alert',
    );
  }

  /** Writes the repeats counted since the last flush (the feature runs this every second). */
  flush(): Promise<void> {
    const now = this.options.now();
    const writes = this.dedupe
      .takePending()
      .map(({ open, count, best, lastSeen }) => this.options.store.upsert({ id: open.id, finding: best, action: open.action, count, lastSeen, now }));
    return this.track(Promise.all(writes), 'folding alert repeats').then(() => undefined);
  }

  /** Resolves when every write started so far has settled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  list(query: AlertQuery): Promise<AlertPage> {
    return this.options.store.list(query);
  }

  async get(id: string): Promise<Alert> {
    const alert = await this.options.store.get(id);
    if (!alert) throw anomalyError('ALERT_NOT_FOUND');
    return alert;
  }

  /**
   * Records a verdict. false_positive allow-lists the entity (no findings, no learning) for
   * the configured time and lifts the alert's blocks. Every verdict that teaches
   * (false_positive, and confirmed once it exists) is also learnt by the engine: a second
   * false positive raises the detector's floor for that entity, a confirmation its weight
   * (feedback.ts), shown in later findings' evidence and in /metrics. Changing the verdict later clears the
   * stored allow-listing (a restart will not restore it); the running engine's lasts its time.
   */
  async setStatus(id: string, status: AlertStatus, note: string | null = null): Promise<Alert> {
    const { store, engine, containment, now: clock, allowListMs } = this.options;
    const now = clock();
    const allowUntil = status === 'false_positive' ? now + allowListMs : null;
    const updated = await store.setStatus(id, status, allowUntil, now, note);
    if (!updated) throw anomalyError('ALERT_NOT_FOUND');
    const verdict = verdictOf(status);
    if (verdict) engine.feedback(updated.detector, updated.entity, verdict);
    if (status === 'false_positive') {
      engine.allowList(updated.entity, now + allowListMs);
      await containment.liftForAlert(id);
    }
    // Every node rebuilds its allow-lists and feedback from the stored verdicts on this notice:
    // a confirmation changes a weight as a false positive changes a floor.
    if (verdict || status === 'false_positive') this.options.onAllowListed?.();
    this.options.onVerdict?.(updated);
    return updated;
  }

  private track<T>(work: Promise<T>, what: string): Promise<T | undefined> {
    const guarded = work.catch((error: unknown) => {
      this.options.onError(error, what);
      return undefined;
    });
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
    return guarded;
  }
}
