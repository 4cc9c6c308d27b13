import type { FastifyInstance } from 'fastify';
import type { Client, ClientCache } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import type { Keyring } from '../crypto/keyring.js';
import type { DpopVerifier } from '../dpop/index.js';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import type { OauthApi, OauthPlugins } from '../oauth/index.js';
import type { AdminAccess } from '../operators/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import { sessionAdminRoutes } from './admin-routes.js';
import type { SessionsApi } from './api.js';
import { guestOfTokenRequest, resolveSessionCaller, sessionFromTokenRequest } from './credentials.js';
import { GuestCull, type CullPeers } from './cull.js';
import { ErasedUserStore } from './erased-store.js';
import type { SessionsConfig } from './options.js';
import { SessionErasure } from './erasure.js';
import { refreshTokenGrant } from './refresh-grant.js';
import { anonymousRoutes } from './routes.js';
import { GuestTransfers } from './transfer.js';
import { transferRoutes } from './transfer-routes.js';
import { TransferCodeStore } from './transfer-store.js';
import { GuestSessionService } from './service.js';
import { readSessionData, writeMetadata } from './session-data.js';
import { SessionStore } from './store.js';
import { sessionTokenRevocation } from './token-revocation.js';
import { UserStore } from './user-store.js';

export interface SessionsDeps {
  database: Store;
  keyring: Keyring;
  events: EventBus;
  /** Revocations and the cull stage their outbound events in the transaction of their change. */
  outbox: Pick<Outbox, 'stage'>;
  dpop: DpopVerifier;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued' | 'guestsCulled'>;
  issuer: () => string;
  now: () => number;
  config: Pick<
    CoreConfig,
    'accessTokenTtl' | 'dpopRequireNonce' | 'guestRateLimitPerIp' | 'guestRateLimitPerPrefix' | 'guestRateLimitPerClient' | 'jsonMaxDepth'
  > &
    Pick<SessionsConfig, 'cullBatchSize' | 'transferCodeTtl' | 'transferRateLimitPerIp' | 'transferRateLimitPerSession'>;
  /** The registered clients, for the cull: each one's retention and idle timeout. */
  listClients: () => Promise<Pick<Client, 'id' | 'guest'>[]>;
  /** What the cull deletes or purges in other features (built after this one: asked for at each run). */
  cullPeers: () => CullPeers;
  /** Keys the hashes of guest transfer codes (an HKDF of the master key). */
  transferCodeKey: Buffer;
  /** Clients as per-request paths read them (the clients feature's cache). */
  clientCache: Pick<ClientCache, 'lookup'>;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
  oauth: Pick<
    OauthApi,
    'accessTokens' | 'gatherFacts' | 'verifyTokenRequestProof' | 'verifyResourceToken' | 'advertiseDpopNonce' | 'publicUrl' | 'dpopViolationReporter'
  >;
}

export interface SessionsFeature extends SessionsApi {
  store: SessionStore;
  /** Stale guests and expired rows: the server's scheduled run, the admin API, the CLI. */
  cull: GuestCull;
  /** What sessions plugs into oauth: the refresh_token grant and session tokens at /oauth/revoke. */
  oauthPlugins: OauthPlugins;
  /** /anonymous/* and sessions in the admin API. */
  routes(app: FastifyInstance): Promise<void>;
}

/** Guest sessions: the sealed session token, rotation, the one check of a session token, the one revocation path. */
export function createSessions(deps: SessionsDeps): SessionsFeature {
  const { database, oauth } = deps;
  const store = new SessionStore(database.db, database.dialect);
  const users = new UserStore(database.db, database.dialect);
  const erased = new ErasedUserStore(database.db);
  const service = new GuestSessionService({ ...deps, sessions: store, users, erased, accessTokens: oauth.accessTokens });
  const erasure = new SessionErasure({ erased, sessions: store, users, revoker: service.revocations, now: deps.now });
  const transfers = new GuestTransfers({
    codes: new TransferCodeStore(database.db),
    sessions: store,
    users,
    service,
    revocations: service.revocations,
    clientCache: deps.clientCache,
    codeKey: deps.transferCodeKey,
    now: deps.now,
    config: deps.config,
  });
  const services = { ...deps, service, sessions: store, users, transfers };
  const cull = new GuestCull({
    database,
    sessions: store,
    outbox: deps.outbox,
    metrics: deps.metrics,
    now: deps.now,
    listClients: deps.listClients,
    peers: deps.cullPeers,
    batchSize: deps.config.cullBatchSize,
  });
  return {
    service,
    revocations: service.revocations,
    users,
    erasure,
    store,
    cull,
    resolveSessionCaller: (request) => resolveSessionCaller(services, request),
    sessionFromTokenRequest: (sessionToken, facts) => sessionFromTokenRequest(services, sessionToken, facts),
    guestOfTokenRequest: (request, sessionToken, facts) => guestOfTokenRequest(services, request, sessionToken, facts),
    readSessionData: (caller) => readSessionData(services, caller),
    writeMetadata: (caller, write) => writeMetadata(services, caller, write),
    oauthPlugins: { grants: [refreshTokenGrant(services)], revocableTokens: [sessionTokenRevocation(service)] },
    async routes(app) {
      await anonymousRoutes(app, services);
      await transferRoutes(app, services);
      await sessionAdminRoutes(app, { sessions: store, revocations: service.revocations, admin: deps.admin, users, cull });
    },
  };
}
