import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ClientCache } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import type { EventBus } from '../events/bus.js';
import type { OauthApi } from '../oauth/index.js';
import type { AdminAccess } from '../operators/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import { telemetryAdminRoutes } from './admin-routes.js';
import type { CountryResolver } from './country.js';
import type { TelemetryConfig } from './options.js';
import { ingestRoutes } from './routes.js';
import { TelemetryService } from './service.js';
import type { SharedEventLimits } from './shared-limits.js';

export interface TelemetryDeps {
  database: Store;
  events: EventBus;
  metrics: Metrics;
  now: () => number;
  config: TelemetryConfig & Pick<CoreConfig, 'jsonMaxDepth'>;
  logger?: Pick<Logger, 'error'>;
  /** Replaces the resolver GUESTPASS_TELEMETRY_COUNTRY_DB names (the anomaly feature's, to share one copy). */
  country?: CountryResolver;
  /** Anomaly containment: a quarantined session's events are kept but tagged. */
  isQuarantined: (sessionId: string) => boolean;
  /** Clients as per-request paths read them: a batch's client names its allow-lists and origins. */
  clientCache: Pick<ClientCache, 'lookup'>;
  oauth: Pick<OauthApi, 'verifyResourceToken'>;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
  /** Events-per-minute limits shared by every node (Redis); each node's own without them. */
  sharedLimits?: SharedEventLimits;
  onSharedLimitFailure?: (error: unknown) => void;
}

export interface TelemetryFeature {
  /** Ingestion, analytics queries, erasure and retention; `close()` commits what is queued. */
  service: TelemetryService;
  /** POST /v1/events, analytics and erasure under /admin/api. */
  routes(app: FastifyInstance): Promise<void>;
}

/** Telemetry: the ingestion pipeline and its store, analytics and erasure, and their routes. */
export function createTelemetry(deps: TelemetryDeps): TelemetryFeature {
  const { database, config, metrics, events, now, logger, country, isQuarantined, sharedLimits, onSharedLimitFailure } = deps;
  const service = new TelemetryService({
    store: database,
    config,
    metrics,
    events,
    now,
    ...(logger ? { logger } : {}),
    ...(country ? { country } : {}),
    isQuarantined,
    ...(sharedLimits ? { sharedLimits } : {}),
    ...(onSharedLimitFailure ? { onSharedLimitFailure } : {}),
  });
  return {
    service,
    async routes(app) {
      await ingestRoutes(app, { ...deps, service });
      await telemetryAdminRoutes(app, { service, admin: deps.admin, now });
    },
  };
}
