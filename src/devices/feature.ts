import type { FastifyInstance } from 'fastify';
import type { ClientCache } from '../clients/index.js';
import type { EventBus } from '../events/bus.js';
import type { Grant, OauthApi } from '../oauth/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { SessionsApi } from '../sessions/index.js';
import type { Store } from '../storage/database.js';
import { deviceAuthorizationRoute } from './authorization-route.js';
import { deviceCodeGrant } from './grant.js';
import type { DevicesConfig } from './options.js';
import { DeviceAuthorizationService } from './service.js';
import { DeviceAuthorizationStore } from './store.js';
import { type PageSignIn, verificationRoutes } from './verification-routes.js';

export interface DevicesDeps {
  database: Store;
  events: EventBus;
  rateLimits: RateLimitStore;
  issuer: () => string;
  now: () => number;
  config: DevicesConfig;
  /** Keys the user-code hashes and the CSRF tokens of the verification page (each its own HKDF of the master key). */
  keys: { userCodes: Buffer; csrf: Buffer };
  clientCache: Pick<ClientCache, 'lookup'>;
  oauth: Pick<OauthApi, 'gatherFacts' | 'verifyTokenRequestProof'>;
  /** The verification page's e-mail and password sign-in (the accounts feature's, with its rate limits). */
  accounts: PageSignIn;
  /** The approving browser's session, user rows, and the session a device gets. */
  sessions: Pick<SessionsApi, 'service' | 'users' | 'resolveSessionCaller'>;
}

export interface DevicesFeature {
  service: DeviceAuthorizationService;
  /** The device_code grant for /oauth/token. */
  grants: readonly Grant[];
  /** Members of the discovery document (RFC 8628 §4). */
  metadata(issuer: string): Record<string, unknown>;
  /** POST /oauth/device_authorization and the verification page. */
  routes(app: FastifyInstance): Promise<void>;
}

/** RFC 8628 device authorization for guests and accounts. */
export function createDevices(deps: DevicesDeps): DevicesFeature {
  const store = new DeviceAuthorizationStore(deps.database.db);
  const service = new DeviceAuthorizationService({ ...deps, store, codeKey: deps.keys.userCodes });
  return {
    service,
    grants: [deviceCodeGrant({ service, oauth: deps.oauth })],
    metadata: (issuer) => ({ device_authorization_endpoint: `${issuer}/oauth/device_authorization` }),
    async routes(app) {
      await deviceAuthorizationRoute(app, { ...deps, service });
      await verificationRoutes(app, { ...deps, service, codeKey: deps.keys.userCodes, csrfKey: deps.keys.csrf });
    },
  };
}
