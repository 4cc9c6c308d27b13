import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import type { DomainEvents } from '../events/types.js';
import type { AdminAccess } from '../operators/index.js';
import type { RedisConnection } from '../redis/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { SessionsApi } from '../sessions/index.js';
import type { Store } from '../storage/database.js';
import { anomalyAdminRoutes } from './admin-routes.js';
import { installContainmentHooks } from './containment/hook.js';
import { DetectionEngine } from './engine.js';
import { createDefaultGeoResolver } from './geo/index.js';
import type { AnomalyConfig } from './options.js';
import { AnomalyService } from './service.js';
import { SharedDetectionEvents } from './shared-events.js';

export interface AnomalyDeps {
  database: Store;
  events: EventBus;
  outbox: Pick<Outbox, 'stage'>;
  metrics: Metrics;
  issuer: () => string;
  now: () => number;
  config: AnomalyConfig;
  /** Containment revokes through the sessions revoker, and finds who a session token names at the door. */
  sessions: Pick<SessionsApi, 'revocations'> & { service: Pick<SessionsApi['service'], 'identify'> };
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
  /** Scale-out: detection is fed every node's events through it (see shared-events.ts). */
  redis?: RedisConnection | undefined;
}

export interface AnomalyFeature {
  /** The engine, alerts, containment, and `isQuarantined` for telemetry. */
  service: AnomalyService;
  /**
   * Starts detection and installs containment at the door (registered first, so its hooks
   * guard every route after it), then the admin API. With GUESTPASS_ANOMALY_DETECTION off only
   * the admin API remains (past alerts stay readable).
   */
  routes(app: FastifyInstance): Promise<void>;
}

/**
 * Anomaly detection and containment: the engine runs on every domain event inline, containment
 * is enforced at the door, and the admin API lists alerts and blocks. Nothing is read or
 * subscribed until the routes start the feature (geolocation files open lazily).
 */
export function createAnomaly(deps: AnomalyDeps): AnomalyFeature {
  const { database, events, outbox, metrics, now, config, sessions } = deps;
  const geo = createDefaultGeoResolver(config);
  let onSharedError: (error: unknown, what: string) => void = () => {};
  const shared =
    deps.redis && config.anomalyDetection
      ? new SharedDetectionEvents({ redis: deps.redis, metrics, onError: (error, what) => onSharedError(error, what) })
      : undefined;
  const service = new AnomalyService({
    store: database,
    events,
    outbox,
    sessions: sessions.revocations,
    config: config.anomalyConfig,
    engine: new DetectionEngine({ config: config.anomalyConfig, geo }),
    geo,
    allowListMs: config.anomalyAllowListTtl * 1000,
    retentionMs: config.anomalyRetention * 1000,
    metrics,
    now,
    shared,
  });
  return {
    service,
    async routes(app) {
      if (config.anomalyDetection) {
        service.onError = (error, what) => app.log.error({ err: error }, `anomaly: ${what} failed`);
        onSharedError = (error, what) => app.log.warn({ err: error }, `anomaly: ${what} failed`);
        const offAlertLog = events.on('alert.raised', (alert) => logAlert(app, alert));
        await service.start();
        app.addHook('onClose', async () => {
          await service.stop();
          offAlertLog();
        });
        installContainmentHooks(app, deps, service);
      }
      await anomalyAdminRoutes(app, deps.admin, service);
    },
  };
}

/**
 * One warn line per stored alert, for log-based alerting: what was found and what was done,
 * about a pseudonymous entity. The event's network is left out: a log line carries no address.
 */
function logAlert(app: FastifyInstance, alert: DomainEvents['alert.raised']): void {
  const { detector, severity, entity_kind, entity_id, action, alert_id } = alert;
  app.log.warn({ alert: { detector, severity, entity_kind, entity_id, action, alert_id } }, 'anomaly alert raised');
}
