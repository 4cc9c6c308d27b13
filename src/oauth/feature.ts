import type { FastifyInstance } from 'fastify';
import type { ClientCache, ClientStore } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import type { Keyring } from '../crypto/keyring.js';
import type { DpopVerifier } from '../dpop/index.js';
import type { EventBus } from '../events/bus.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import { AccessTokens } from './access-token.js';
import type { OauthApi } from './api.js';
import { requireAccessToken, verifyResourceToken } from './bearer.js';
import { ClientAuthenticator } from './client-auth.js';
import { discoveryRoutes } from './discovery.js';
import { advertiseDpopNonce, dpopViolationReporter, publicUrl, verifyTokenRequestProof } from './dpop-binding.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { tokenGrants } from './grants/index.js';
import { introspectionRoute } from './introspection-route.js';
import type { OauthPlugins } from './plugins.js';
import { gatherFacts } from './request-facts.js';
import { revocationRoute } from './revocation-route.js';
import { RevocationStore } from './revocation-store.js';
import { tokenRoute } from './token-route.js';
import { isAccessTokenRevoked } from './token-liveness.js';

export interface OauthDeps {
  database: Store;
  keyring: Keyring;
  events: EventBus;
  dpop: DpopVerifier;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued'>;
  /** The issuer; a function because port 0 is only known once the server listens. */
  issuer: () => string;
  now: () => number;
  config: Pick<CoreConfig, 'accessTokenTtl' | 'dpopRequireNonce' | 'tokenRateLimitPerIp' | 'tokenRateLimitPerClient'>;
  /** Registered clients, for client authentication: their store and the per-request cache. */
  clients: { store: ClientStore; cache: ClientCache };
  /**
   * Grants and revocable tokens of the features built on oauth (sessions), asked for only when
   * the routes are registered: those features need oauth to be built first.
   */
  plugins: () => OauthPlugins;
}

export interface OauthFeature extends OauthApi {
  /** Discovery, JWKS, token, revocation and introspection endpoints. */
  routes(app: FastifyInstance): Promise<void>;
}

/** The OAuth 2.0 core: access tokens, client authentication, DPoP at token and resource endpoints, and their routes. */
export function createOauth(deps: OauthDeps): OauthFeature {
  const { database, events, now, clients } = deps;
  const accessTokens = new AccessTokens({
    keyring: deps.keyring,
    issuer: deps.issuer,
    isRevoked: (claims) => isAccessTokenRevoked(database.db, claims),
    now,
  });
  const clientAuth = new ClientAuthenticator({ store: clients.store, events, cache: clients.cache, now });
  const revocations = new RevocationStore(database.db);
  const services = { ...deps, accessTokens, clientAuth, revocations };
  return {
    accessTokens,
    clientAuth,
    revocations,
    requireAccessToken: (options) => requireAccessToken(services, options),
    verifyResourceToken: (request, presented, scopes) => verifyResourceToken(services, request, presented, scopes),
    gatherFacts: (request, body) => gatherFacts(services, request, body),
    verifyTokenRequestProof: (request) => verifyTokenRequestProof(services, request),
    advertiseDpopNonce: (reply) => advertiseDpopNonce(services, reply),
    publicUrl: (request) => publicUrl(services, request),
    dpopViolationReporter: (request, who) => dpopViolationReporter(services, request, who),
    async routes(app) {
      const { grants, revocableTokens, metadata } = deps.plugins();
      const tokenEndpointGrants = tokenGrants(clientCredentialsGrant(services), grants);
      await discoveryRoutes(app, services, tokenEndpointGrants, metadata);
      await tokenRoute(app, services, tokenEndpointGrants);
      await revocationRoute(app, services, revocableTokens);
      await introspectionRoute(app, services);
    },
  };
}
