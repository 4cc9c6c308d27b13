import type { Logger } from 'pino';
import { DetectionEngine } from '../anomaly/engine.js';
import { createDefaultGeoResolver, GEOIP_NONE } from '../anomaly/geo/index.js';
import { AnomalyService } from '../anomaly/service.js';
import { ClientCache } from '../clients/cache.js';
import { ClientService } from '../clients/service.js';
import { ClientStore } from '../clients/store.js';
import type { Config } from './config.js';
import { hkdfSync } from 'node:crypto';
import { KeyStore } from '../crypto/key-store.js';
import { Keyring } from '../crypto/keyring.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { DpopNonces, DpopVerifier, MemoryDpopReplayStore } from '../dpop/index.js';
import { EventBus } from '../events/bus.js';
import { AccessTokens } from '../oauth/access-token.js';
import { ClientAuthenticator } from '../oauth/client-auth.js';
import { RevocationStore } from '../oauth/revocation-store.js';
import { isAccessTokenRevoked } from '../oauth/token-liveness.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../ratelimit/index.js';
import { GuestSessionService } from '../sessions/service.js';
import { SessionStore } from '../sessions/store.js';
import { UserStore } from '../sessions/user-store.js';
import { openDatabase, sqliteFileOf, type Store } from '../storage/database.js';
import { tightenPrivateData, type PrivateDataReport } from '../storage/private-files.js';
import { Metrics } from '../shared/metrics.js';
import { createAccounts } from '../accounts/feature.js';
import type { AccountService } from '../accounts/service.js';
import type { IdTokenVerifier } from '../accounts/id-token/verifier.js';
import { migrateToLatest } from '../storage/migrate.js';
import { TelemetryService } from '../telemetry/service.js';

/** The longest lifetime any access token may have; retired signing keys outlive it. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;
/** The longest lifetime any session token may have; retired sealing keys outlive it. */
export const MAX_SESSION_TTL_SECONDS = 90 * 86400;
/** Margin for clock skew between nodes and resource servers. */
const SKEW_MS = 5 * 60 * 1000;

/** Everything a feature needs, built once per process and shared by HTTP and the CLI. */
export interface AppContext {
  config: Config;
  store: Store;
  events: EventBus;
  keyring: Keyring;
  clients: ClientService;
  clientStore: ClientStore;
  /** Clients as per-request paths read them: from memory for GUESTPASS_CLIENT_CACHE_TTL. */
  clientCache: ClientCache;
  clientAuth: ClientAuthenticator;
  accessTokens: AccessTokens;
  revocations: RevocationStore;
  sessionStore: SessionStore;
  dpop: DpopVerifier;
  userStore: UserStore;
  guestSessions: GuestSessionService;
  /** Registered users: sign-up, login, conversion, merging (accounts/). */
  accounts: AccountService;
  idTokens: IdTokenVerifier;
  telemetry: TelemetryService;
  rateLimits: RateLimitStore;
  /** Anomaly detection, alerts and containment (started by the server's anomaly feature). */
  anomaly: AnomalyService;
  metrics: Metrics;
  /** The issuer; settable because port 0 is only known once the server listens. */
  issuer: { value: string };
  now: () => number;
  /** What happened while building, for the start-up log. */
  notes: { migrationsApplied: string[]; keysCreated: string[]; permissions: PrivateDataReport; masterKeyWarning?: string };
  close(): Promise<void>;
}

export interface CreateContextOptions {
  config: Config;
  logger?: Pick<Logger, 'error'>;
  /** The server passes one with process metrics; the CLI needs none. */
  metrics?: Metrics;
  now?: () => number;
}

/** Opens the database, applies migrations, loads the master key and the keyring. */
export async function createContext({
  config,
  logger,
  metrics = new Metrics({ defaultMetrics: false }),
  now = Date.now,
}: CreateContextOptions): Promise<AppContext> {
  // Before anything is opened: older versions left these readable by other local users.
  const permissions = tightenPrivateData({ dataDir: config.dataDir, sqliteFile: sqliteFileOf(config.databaseUrl) });
  const store = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema });
  try {
    const migrationsApplied = await migrateToLatest(store);
    const masterKey = loadMasterKey(config.masterKey, config.dataDir);
    const keyring = new Keyring({
      store: new KeyStore(store.db),
      masterKey: masterKey.key,
      signingAlg: config.signingAlg,
      retiredSigningKeyLifetimeMs: MAX_ACCESS_TOKEN_TTL_SECONDS * 1000 + SKEW_MS,
      retiredSealingKeyLifetimeMs: MAX_SESSION_TTL_SECONDS * 1000 + SKEW_MS,
      now,
    });
    const { created } = await keyring.initialize();

    const events = new EventBus({ onListenerError: (error, type) => logger?.error({ err: error, event: type }, 'event listener failed') });
    const issuer = { value: config.issuer };
    const clientStore = new ClientStore(store.db);
    const clientCache = new ClientCache({ store: clientStore, events, ttlMs: config.clientCacheTtl * 1000, now });
    const revocations = new RevocationStore(store.db);
    const sessionStore = new SessionStore(store.db);
    const ctx = {
      config,
      store,
      events,
      keyring,
      clientStore,
      clients: new ClientService({ store: clientStore, events, now }),
      clientCache,
      clientAuth: new ClientAuthenticator({ store: clientStore, events, cache: clientCache, now }),
      accessTokens: new AccessTokens({ keyring, issuer: () => issuer.value, isRevoked: (claims) => isAccessTokenRevoked(store.db, claims), now }),
      revocations,
      sessionStore,
      dpop: new DpopVerifier({
        replay: new MemoryDpopReplayStore(),
        // Nonces must check out on every node: derive their key from the shared master key.
        nonces: new DpopNonces({ secret: Buffer.from(hkdfSync('sha256', masterKey.key, Buffer.alloc(0), 'guestpass dpop nonce', 32)), now }),
        now,
      }),
      userStore: new UserStore(store.db, store.dialect),
      rateLimits: new MemoryRateLimitStore({ now }),
      metrics,
      issuer,
      now,
      notes: { migrationsApplied, keysCreated: created, permissions, ...(masterKey.warning ? { masterKeyWarning: masterKey.warning } : {}) },
      // Telemetry first: its writer commits what is queued while the database is still open.
      close: async () => {
        await ctx.telemetry.close();
        await ctx.accounts.close();
        await store.close();
      },
    } as Omit<AppContext, 'guestSessions' | 'accounts' | 'idTokens' | 'anomaly' | 'telemetry'> as AppContext;
    // The guest-session and account services work through the context they belong to.
    ctx.guestSessions = new GuestSessionService({ ctx, sessions: sessionStore, users: ctx.userStore });
    Object.assign(ctx, createAccounts({ ctx, masterKey: masterKey.key, onMailError: (error) => logger?.error({ err: error }, 'sending mail failed') }));
    // Nothing is read or subscribed until the server starts the feature (geo files open lazily).
    const geo = createDefaultGeoResolver(config);
    ctx.anomaly = new AnomalyService({
      store,
      events,
      sessions: ctx.guestSessions.revocations,
      config: config.anomalyConfig,
      engine: new DetectionEngine({ config: config.anomalyConfig, geo }),
      geo,
      allowListMs: config.anomalyAllowListTtl * 1000,
      metrics,
      now,
    });
    // One copy of the geolocation database (~130 MB): telemetry's default country source is the
    // anomaly feature's resolver, which answers per prefix from its cache.
    const sharedCountry = config.telemetryCountryDb === 'dbip' && config.geoipDatabase !== GEOIP_NONE ? { country: geo } : {};
    ctx.telemetry = new TelemetryService({
      store,
      config,
      metrics,
      events,
      now,
      ...(logger ? { logger } : {}),
      ...sharedCountry,
      isQuarantined: (sessionId) => ctx.anomaly.isQuarantined(sessionId),
    });
    return ctx;
  } catch (error) {
    await store.close();
    throw error;
  }
}
