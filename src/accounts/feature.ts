import { hkdfSync } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Client, ClientCache } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import type { NetworkInfo } from '../events/types.js';
import type { OauthApi } from '../oauth/index.js';
import type { AdminAccess } from '../operators/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { SessionsApi } from '../sessions/index.js';
import type { Store } from '../storage/database.js';
import { createMailer } from './email/index.js';
import { erasureRoutes } from './gdpr/routes.js';
import { PersonErasure, type PersonAlerts, type PersonEventLog, type PersonTelemetry } from './gdpr/service.js';
import { accountAdminRoutes } from './http/admin-routes.js';
import { linkRoutes } from './http/link-routes.js';
import { meRoutes } from './http/me-routes.js';
import { signInOnPage } from './http/password-login.js';
import { passwordRoutes } from './http/password-routes.js';
import { accountRoutes } from './http/routes.js';
import { IdTokenVerifier } from './id-token/verifier.js';
import type { AccountConfig } from './options.js';
import { PasswordHasher } from './passwords.js';
import { EmailProofs } from './proofs.js';
import { AccountService } from './service.js';
import { type AccountRecord, AccountStore } from './store.js';

export interface AccountsDeps {
  database: Store;
  /** Keys for code hashes and account keys are derived from it, so every node agrees. */
  masterKey: Buffer;
  events: EventBus;
  /** Merges, promotions and erasures stage their outbound events in the transaction of their change. */
  outbox: Pick<Outbox, 'stage'>;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued'>;
  issuer: () => string;
  now: () => number;
  config: AccountConfig & Pick<CoreConfig, 'dataDir'>;
  /** Clients as per-request paths read them: a guest's client names its merge strategies. */
  clientCache: Pick<ClientCache, 'lookup'>;
  oauth: Pick<OauthApi, 'gatherFacts' | 'requireAccessToken' | 'advertiseDpopNonce' | 'clientAuth'>;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
  /** The users guests live in, their sessions, and the revoker a merge or a password reset ends them with. */
  sessions: Pick<
    SessionsApi,
    'service' | 'revocations' | 'users' | 'erasure' | 'resolveSessionCaller' | 'guestOfTokenRequest' | 'readSessionData' | 'writeMetadata'
  >;
  /** A person's events, for their erasure and export. */
  telemetry: PersonTelemetry;
  /** Alerts and blocks about a person, for their erasure and export. */
  anomaly: PersonAlerts;
  /** The domain-event log's events about a person, for their erasure. */
  audit: PersonEventLog;
  /** Mail failures, without recipient or content. */
  onMailError: (error: unknown) => void;
}

export interface AccountsFeature {
  /** Registered users: sign-up, login, conversion, merging. */
  service: AccountService;
  idTokens: IdTokenVerifier;
  /** Erasure and export of a person: an account and the guests merged into it. */
  erasure: PersonErasure;
  /** /accounts/*, /anonymous/convert and users in the admin API. */
  routes(app: FastifyInstance): Promise<void>;
  /**
   * E-mail and password sign-in for another feature's server-rendered page (the device
   * verification page): the login rate limits and the one credential check of POST
   * /accounts/login, without starting a session or merging a guest.
   */
  signInOnPage(request: FastifyRequest, input: { email: string; password: string; client: Client; network?: NetworkInfo }): Promise<AccountRecord>;
}

/** Keys for code hashes and account keys, derived from the master key so every node agrees. */
const derive = (masterKey: Buffer, info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));

/** Registered users on top of guest sessions: their store, e-mail proofs, mail, ID-token linking and routes. */
export function createAccounts(deps: AccountsDeps): AccountsFeature {
  const {
    database,
    masterKey,
    events,
    outbox,
    rateLimits,
    metrics,
    issuer,
    now,
    config,
    clientCache,
    oauth,
    admin,
    sessions,
    telemetry,
    anomaly,
    audit,
    onMailError,
  } = deps;
  const store = new AccountStore(database.db, database.dialect, { users: sessions.users, sessions: sessions.revocations });
  const proofs = new EmailProofs(database.db, derive(masterKey, 'guestpass e-mail proof codes'), now);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, dataDir: config.dataDir });
  // Only keys derived from the master key go further: the service and routes never hold it.
  const service = new AccountService({
    store,
    proofs,
    mailer,
    passwords: new PasswordHasher(config.passwordHashCost),
    accountKeySecret: derive(masterKey, 'guestpass account keys'),
    events,
    outbox,
    rateLimits,
    issuer,
    now,
    config,
    clientCache,
    sessions,
    onMailError,
  });
  const idTokens = new IdTokenVerifier({ issuers: config.trustedIssuers, now });
  const erasure = new PersonErasure({ database, outbox, now, accounts: service, sessions, telemetry, anomaly, audit });
  const routeDeps = { accounts: service, idTokens, events, rateLimits, metrics, now, config, clientCache, oauth, admin, sessions };
  return {
    service,
    idTokens,
    erasure,
    signInOnPage: (request, input) => signInOnPage(routeDeps, request, input),
    async routes(app) {
      await accountRoutes(app, routeDeps);
      await passwordRoutes(app, routeDeps);
      await meRoutes(app, routeDeps);
      await linkRoutes(app, routeDeps);
      await accountAdminRoutes(app, routeDeps);
      await erasureRoutes(app, { ...routeDeps, erasure });
    },
  };
}
