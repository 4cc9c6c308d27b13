import type { Metrics } from '../shared/metrics.js';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import type { Kysely } from 'kysely';
import type { Store } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { AlertService } from './alerts/service.js';
import { AlertStore, type PersonEntities } from './alerts/store.js';
import { alertView, type AlertView } from './alerts/view.js';
import type { DetectionConfig, DetectorName } from './config.js';
import { ContainmentService, type ContainmentServiceOptions } from './containment/service.js';
import { BlockStore } from './containment/store.js';
import { SecurityFeed } from './live-feed.js';
import type { ContainmentPolicy } from './containment/types.js';
import type { CachedGeoResolver } from './geo/cached.js';
import type { SharedDetectionEvents } from './shared-events.js';
import { verdictOf } from './feedback.js';
import type { DetectionEngineApi, DetectionInput, Entity } from './types.js';

export interface AnomalyServiceOptions {
  store: Store;
  events: EventBus;
  /** A new alert's `alert.raised` is staged in the transaction that stores it. */
  outbox: Pick<Outbox, 'stage'>;
  /** The sessions feature's revocation, for the `revoke` containment. */
  sessions: ContainmentServiceOptions['sessions'];
  config: DetectionConfig;
  engine: DetectionEngineApi;
  geo: CachedGeoResolver;
  /** How long a false_positive verdict allow-lists its entity (ms). */
  allowListMs: number;
  /** How long alerts are kept after they were last seen, and blocks after they ended (ms). */
  retentionMs: number;
  metrics?: Metrics;
  now: () => number;
  /** Every node's events through Redis (scale-out); without it the engine sees this node's only. */
  shared?: SharedDetectionEvents | undefined;
}

/** What this feature announces itself: nothing other nodes' detectors learn from. */
const ANOMALY_OWN_EVENTS = new Set<DetectionInput['type']>(['alert.raised', 'alert.verdict', 'block.lifted']);

/** Repeats are folded into stored alerts this often. */
const FLUSH_INTERVAL_MS = 1000;
/** Blocks created or lifted on other nodes are picked up this often. */
const SYNC_INTERVAL_MS = 5000;

/** The containment each detector's configuration asks for; unknown detectors only observe. */
export function policyOf(config: DetectionConfig): ContainmentPolicy {
  return (detector) => {
    const containment = config.detectors[detector as DetectorName]?.containment;
    return containment ? { action: containment.action, durationMs: containment.duration_s * 1000 } : { action: 'observe', durationMs: 0 };
  };
}

/**
 * The anomaly feature as the rest of the server sees it (built by createAnomaly): the engine fed from
 * the event bus, alerts with feedback, and containment. `isQuarantined(sessionId)` is for the
 * telemetry feature: events from a quarantined session are kept but tagged, not dropped.
 */
export class AnomalyService {
  readonly engine: DetectionEngineApi;
  readonly geo: CachedGeoResolver;
  readonly alerts: AlertService;
  readonly containment: ContainmentService;
  /** Alert and block changes for the live view (GET /admin/api/alerts/stream). */
  readonly feed: SecurityFeed;
  /** The feature's clock (tests move it). */
  readonly now: () => number;
  /** Where failures of background work go; the server points it at its logger. */
  onError: (error: unknown, what: string) => void = (error, what) => process.emitWarning(`anomaly: ${what} failed: ${String(error)}`);
  /** Told when blocks or allow-lists change here; a scale-out deployment tells the other nodes. */
  onChange: (change: 'blocks' | 'allow_lists') => void = () => {};
  private readonly options: AnomalyServiceOptions;
  private unsubscribe?: () => void;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: AnomalyServiceOptions) {
    this.options = options;
    this.engine = options.engine;
    this.geo = options.geo;
    this.now = options.now;
    const onError = (error: unknown, what: string) => this.onError(error, what);
    this.containment = new ContainmentService({
      blocks: new BlockStore(options.store.db),
      sessions: options.sessions,
      policy: policyOf(options.config),
      now: options.now,
      onError,
      onChange: () => this.onChange('blocks'),
      onLifted: (block, reason) =>
        options.events.emit('block.lifted', {
          time: options.now(),
          block_id: block.id,
          action: block.action,
          entity_kind: block.entity.kind,
          entity_id: block.entity.id,
          detector: block.detector,
          ...(block.alertId ? { alert_id: block.alertId } : {}),
          reason,
        }),
    });
    this.feed = new SecurityFeed({
      alerts: new AlertStore(options.store.db),
      blocks: new BlockStore(options.store.db),
      now: options.now,
      onError: (error, what) => this.onError(error, what),
    });
    // A change made on this node reaches its streams at once; other nodes' at the next poll.
    for (const type of ANOMALY_OWN_EVENTS) options.events.on(type, () => this.feed.poke());
    this.alerts = new AlertService({
      store: new AlertStore(options.store.db),
      outbox: options.outbox,
      containment: this.containment,
      engine: this.engine,
      metrics: options.metrics,
      allowListMs: options.allowListMs,
      onAllowListed: () => this.onChange('allow_lists'),
      onVerdict: (alert) =>
        options.events.emit('alert.verdict', {
          time: options.now(),
          alert_id: alert.id,
          detector: alert.detector,
          entity_kind: alert.entity.kind,
          entity_id: alert.entity.id,
          status: alert.status,
          has_note: alert.note !== null,
        }),
      now: options.now,
      onError,
    });
  }

  isQuarantined(sessionId: string): boolean {
    return this.containment.isQuarantined(sessionId);
  }

  /**
   * One domain event, inline in the request that emitted it: detection and the in-memory part
   * of containment happen before this returns, so the next request already meets them.
   */
  observe(input: DetectionInput): void {
    // The feature's own event is an output, not evidence.
    if (input.type === 'alert.raised') return;
    const started = performance.now();
    const findings = this.engine.process(input);
    const { shared } = this.options;
    for (const finding of findings) {
      if (!shared) this.alerts.handle(finding, input);
      else {
        // Every node's engine reaches this finding: each refuses at once, the one that claims it first raises it.
        this.containment.applyProvisional(finding, input);
        void shared.claim(finding).then(
          (mine) => mine && this.alerts.handle(finding, input),
          (error: unknown) => this.onError(error, 'claiming a finding'),
        );
      }
    }
    this.options.metrics?.anomalyProcessing.observe((performance.now() - started) / 1000);
  }

  /**
   * Retention (GUESTPASS_ANOMALY_RETENTION): alerts last seen longer ago than it, unless they
   * still allow-list their entity, and blocks that ended longer ago. Alerts grow with attacks,
   * not with visitors, but a long attack must not grow them for ever.
   */
  async purgeExpired(now = this.options.now()): Promise<{ alerts: number; blocks: number }> {
    const cutoff = now - this.options.retentionMs;
    const db = this.options.store.db;
    // Blocks first: an alert's purge unlinks the blocks that still point at it.
    const blocks = await new BlockStore(db).purgeEndedBefore(cutoff);
    const alerts = await new AlertStore(db).purgeLastSeenBefore(cutoff, now);
    return { alerts, blocks };
  }

  /** Writes the alerts still being folded, so that an erasure right after finds them. */
  async settleAlerts(): Promise<void> {
    await this.alerts.flush();
    await this.alerts.settled();
  }

  /** The alerts about a person (user ids or sessions), newest first, evidence included, for their export. */
  async alertsNaming(person: PersonEntities, limit: number): Promise<AlertView[]> {
    return (await new AlertStore(this.options.store.db).listNaming(person, limit)).map((alert) => alertView(alert, true));
  }

  /**
   * Erasure, in the erasure's transaction: the alerts and blocks about a person. Blocks already
   * loaded in memory keep their ids until they expire (at most the containment's duration); the
   * person's sessions are revoked by then anyway.
   */
  async erasePerson(person: PersonEntities, trx: Kysely<Database>): Promise<{ alerts: number; blocks: number }> {
    const alertIds = await new AlertStore(this.options.store.db).deleteNaming(person, trx);
    const blocks = await new BlockStore(this.options.store.db).deleteNaming(person, alertIds, trx);
    return { alerts: alertIds.length, blocks };
  }

  /** Picks up blocks created or lifted on other nodes (every few seconds, and when told). */
  async syncBlocks(): Promise<void> {
    await this.containment.sync();
  }

  /**
   * Loads the allow-listings in force and what verdicts taught (feedback.ts), those other
   * nodes' verdicts made included.
   */
  async loadAllowLists(): Promise<void> {
    const alerts = new AlertStore(this.options.store.db);
    for (const { entity, until } of await alerts.allowListed(this.options.now())) this.engine.allowList(entity, until);
    const learnt = new Map<string, { detector: string; entity: Entity; falsePositives: number; confirmed: number }>();
    for (const row of await alerts.verdictCounts()) {
      const verdict = verdictOf(row.status);
      if (!verdict) continue;
      const key = `${row.detector}|${row.entity.kind}:${row.entity.id}`;
      const entry = learnt.get(key) ?? { detector: row.detector, entity: row.entity, falsePositives: 0, confirmed: 0 };
      if (verdict === 'false_positive') entry.falsePositives += row.n;
      else entry.confirmed += row.n;
      learnt.set(key, entry);
    }
    for (const { detector, entity, falsePositives, confirmed } of learnt.values()) this.engine.restoreFeedback(detector, entity, { falsePositives, confirmed });
  }

  /**
   * Restores blocks and allow-lists from the database, subscribes to every domain event and
   * starts the background timers. The geo files open in the background (see geo/readers.ts),
   * or at their first lookup (GUESTPASS_GEOIP_LOAD=first-use).
   */
  async start(): Promise<void> {
    const { store, events, metrics } = this.options;
    await this.containment.load();
    await this.loadAllowLists();
    if (metrics) metrics.anomalyFeedback = () => new AlertStore(store.db).feedback();
    if (metrics) metrics.anomalyLearning = () => this.engine.stats().feedback;
    this.geo.onLoadError = (error) => this.onError(error, 'opening the geolocation database');
    this.geo.preload();
    const { shared } = this.options;
    this.unsubscribe = events.onAny((event) => {
      this.observe(event);
      if (shared && !ANOMALY_OWN_EVENTS.has(event.type)) shared.publish(event);
    });
    await shared?.start((input) => this.observe(input));
    this.timers = [
      setInterval(() => void this.alerts.flush(), FLUSH_INTERVAL_MS),
      setInterval(() => this.containment.sync().catch((error: unknown) => this.onError(error, 'syncing blocks')), SYNC_INTERVAL_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Stops listening and writes what is pending; the database must still be open. */
  async stop(): Promise<void> {
    this.feed.close();
    this.unsubscribe?.();
    await this.options.shared?.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.alerts.flush();
    await this.alerts.settled();
  }
}
