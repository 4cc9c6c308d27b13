import type { FastifyInstance } from 'fastify';
import type { CoreConfig } from '../config/index.js';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import type { AdminAccess } from '../operators/index.js';
import type { Store } from '../storage/database.js';
import { clientAdminRoutes } from './admin-routes.js';
import { ClientCache } from './cache.js';
import { registerCors } from './cors.js';
import { ClientService } from './service.js';
import { ClientStore } from './store.js';

export interface ClientsDeps {
  database: Store;
  events: EventBus;
  /** Secret rotation stages `client.secret_rotated` in its transaction. */
  outbox: Pick<Outbox, 'stage'>;
  now: () => number;
  config: Pick<CoreConfig, 'clientCacheTtl'>;
  /**
   * The admin API's access check (operators/). It checks admin tokens with oauth, which
   * authenticates clients and so is built after this feature; it is asked for only when the
   * routes are registered.
   */
  admin: () => AdminAccess;
}

export interface ClientsFeature {
  /** Create, change, rotate and delete registered applications (admin API, CLI). */
  service: ClientService;
  store: ClientStore;
  /** Clients as per-request paths read them: from memory for GUESTPASS_CLIENT_CACHE_TTL. */
  cache: ClientCache;
  /** CORS for browser clients; registered before every route, so every route answers preflights. */
  cors(app: FastifyInstance): Promise<void>;
  /** /admin/api/clients. */
  routes(app: FastifyInstance): Promise<void>;
  /** Drops what this node holds about client `id` (every client without one): another node changed it. */
  forget(id?: string): void;
}

/** Registered applications: their store, the shared lookup cache, the service, CORS and the admin API. */
export function createClients({ database, events, outbox, now, config, admin }: ClientsDeps): ClientsFeature {
  const store = new ClientStore(database.db);
  const cache = new ClientCache({ store, events, ttlMs: config.clientCacheTtl * 1000, now });
  const service = new ClientService({ store, events, outbox, now });
  const forgetListeners: (() => void)[] = [];
  return {
    service,
    store,
    cache,
    cors: (app) => registerCors(app, { events, clients: service, onForget: (listener) => forgetListeners.push(listener) }),
    routes: (app) => clientAdminRoutes(app, { clients: service, admin: admin() }),
    forget(id) {
      cache.invalidate(id);
      for (const listener of forgetListeners) listener();
    },
  };
}
