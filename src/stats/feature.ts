import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import type { AdminAccess } from '../operators/index.js';
import type { Store } from '../storage/database.js';
import { statsAdminRoutes } from './admin-routes.js';
import type { CountUsers } from './overview.js';
import type { StatsConfig } from './options.js';
import { StatsService } from './service.js';

export interface StatsDeps {
  database: Store;
  /** Where activity and lifecycle steps are heard: session.created/refreshed, user.converted/merged/culled. */
  events: EventBus;
  now: () => number;
  config: StatsConfig;
  /** Stored guests and registered users (the sessions feature's count), for the overview. */
  countUsers: CountUsers;
  logger?: Pick<Logger, 'error'>;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
}

export interface StatsFeature {
  /** Records from the events at once; `close()` writes what is left. */
  service: StatsService;
  /** GET /admin/api/stats/active-users and /admin/api/stats/overview. */
  routes(app: FastifyInstance): Promise<void>;
}

/** Stats: active users (DAU/WAU/MAU), guest lifecycle and alert counts per day and hour, and their admin routes. */
export function createStats({ database, events, now, config, countUsers, logger, admin }: StatsDeps): StatsFeature {
  const service = new StatsService({
    store: database,
    events,
    now,
    flushInterval: config.statsFlushInterval,
    countUsers,
    onError: (error, what) => logger?.error({ err: error }, `${what} failed`),
  });
  return {
    service,
    async routes(app) {
      await statsAdminRoutes(app, { stats: service, admin });
    },
  };
}
