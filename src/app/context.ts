import { hkdfSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AccountsFeature, createAccounts } from '../accounts/feature.js';
import type { IdTokenVerifier } from '../accounts/id-token/verifier.js';
import type { AccountService } from '../accounts/service.js';
import { type AnomalyFeature, createAnomaly } from '../anomaly/feature.js';
import { type AuditFeature, createAudit } from '../audit/feature.js';
import type { AuditService } from '../audit/service.js';
import { GEOIP_NONE } from '../anomaly/geo/index.js';
import type { AnomalyService } from '../anomaly/service.js';
import type { ClientCache } from '../clients/cache.js';
import { type ClientsFeature, createClients } from '../clients/feature.js';
import { createDevices, type DevicesFeature } from '../devices/feature.js';
import { type ConsoleUiFeature, createConsoleUi } from '../console-ui/feature.js';
import type { ClientService } from '../clients/service.js';
import type { ClientStore } from '../clients/store.js';
import { KeyStore } from '../crypto/key-store.js';
import { Keyring } from '../crypto/keyring.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { DpopNonces, DpopVerifier, MemoryDpopReplayStore, RedisDpopReplayStore } from '../dpop/index.js';
import { EventBus } from '../events/bus.js';
import { Outbox } from '../events/outbox.js';
import type { AccessTokens } from '../oauth/access-token.js';
import type { ClientAuthenticator } from '../oauth/client-auth.js';
import { createOauth, type OauthFeature } from '../oauth/feature.js';
import { createOperators, type OperatorsFeature } from '../operators/feature.js';
import type { OperatorService } from '../operators/service.js';
import type { RevocationStore } from '../oauth/revocation-store.js';
import { FallbackRateLimitStore, MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from '../ratelimit/index.js';
import { createRedis, type RedisFeature } from '../redis/feature.js';
import { createSessions, type SessionsFeature } from '../sessions/feature.js';
import type { GuestCull } from '../sessions/cull.js';
import type { GuestSessionService } from '../sessions/service.js';
import type { SessionStore } from '../sessions/store.js';
import type { UserStore } from '../sessions/user-store.js';
import { Metrics } from '../shared/metrics.js';
import { openDatabase, sqliteFileOf, type Store } from '../storage/database.js';
import { createStats, type StatsFeature } from '../stats/feature.js';
import type { StatsService } from '../stats/service.js';
import { migrateToLatest } from '../storage/migrate.js';
import type { Database } from '../storage/schema.js';
import { type PrivateDataReport, tightenPrivateData } from '../storage/private-files.js';
import { createTelemetry, type TelemetryFeature } from '../telemetry/feature.js';
import { RedisEventLimits } from '../telemetry/shared-limits.js';
import type { TelemetryService } from '../telemetry/service.js';
import { shareChanges } from './cluster.js';
import { createWebhooks, type WebhooksFeature } from '../webhooks/feature.js';
import type { WebhookService } from '../webhooks/service.js';
import type { Config } from './config.js';

/** The longest lifetime any access token may have; retired signing keys outlive it. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;
/** The longest lifetime any session token may have; retired sealing keys outlive it. */
export const MAX_SESSION_TTL_SECONDS = 90 * 86400;
/** E-mail proofs the cull deletes per statement. */
const PROOF_PURGE_BATCH = 1000;
/** Margin for clock skew between nodes and resource servers. */
const SKEW_MS = 5 * 60 * 1000;

/** A key for one purpose, derived from the master key: every node derives the same one. */
function derivedKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), purpose, 32));
}

/** Each feature as its factory built it, in the order they are built; app/build.ts mounts their routes. */
export interface Features {
  clients: ClientsFeature;
  oauth: OauthFeature;
  operators: OperatorsFeature;
  sessions: SessionsFeature;
  accounts: AccountsFeature;
  anomaly: AnomalyFeature;
  telemetry: TelemetryFeature;
  stats: StatsFeature;
  audit: AuditFeature;
  webhooks: WebhooksFeature;
  devices: DevicesFeature;
  consoleUi: ConsoleUiFeature;
}

/**
 * The composed server, built once per process and shared by HTTP and the CLI: the base, the
 * features, and their main services by name for the server, the CLI and tests. Features never
 * see it: each is built from the narrow dependencies its factory names.
 */
export interface AppContext {
  config: Config;
  store: Store;
  events: EventBus;
  outbox: Outbox;
  keyring: Keyring;
  features: Features;
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
  /** Stale guests and expired rows (sessions/cull.ts): the server's scheduled run, the admin API, the CLI. */
  guestCull: GuestCull;
  /** Registered users: sign-up, login, conversion, merging (accounts/). */
  accounts: AccountService;
  idTokens: IdTokenVerifier;
  telemetry: TelemetryService;
  /** Active users and guest lifecycle counts, recorded from the domain events (stats/). */
  stats: StatsService;
  /** The domain-event log (audit/): every event the bus emits, for the admin API and `events export`. */
  audit: AuditService;
  /** Webhook endpoints and their messages (webhooks/); the server's routes start delivery. */
  webhooks: WebhookService;
  /** Console operators and their sessions (operators/): `guestpass admins`, sign-in, TOTP. */
  operators: OperatorService;
  rateLimits: RateLimitStore;
  /** The Redis connections when GUESTPASS_REDIS_URL is set (scale-out); undefined on one node. */
  redis: RedisFeature | undefined;
  /** Anomaly detection, alerts and containment (started when the server mounts the feature). */
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
  logger?: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** The server passes one with process metrics; the CLI needs none. */
  metrics?: Metrics;
  now?: () => number;
}

/**
 * Opens the database, applies migrations, loads the master key and the keyring, then builds the
 * base and each feature in dependency order: the one place where features are wired together.
 */
export async function createContext({
  config,
  logger,
  metrics = new Metrics({ defaultMetrics: false }),
  now = Date.now,
}: CreateContextOptions): Promise<AppContext> {
  // Before anything is opened: older versions left these readable by other local users.
  const permissions = tightenPrivateData({ dataDir: config.dataDir, sqliteFile: sqliteFileOf(config.databaseUrl) });
  const database = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema, poolSize: config.databasePoolSize });
  let redis: RedisFeature | undefined;
  try {
    const migrationsApplied = await migrateToLatest(database);
    const masterKey = loadMasterKey(config.masterKey, config.dataDir);
    const keyring = new Keyring({
      store: new KeyStore(database.db),
      masterKey: masterKey.key,
      signingAlg: config.signingAlg,
      retiredSigningKeyLifetimeMs: MAX_ACCESS_TOKEN_TTL_SECONDS * 1000 + SKEW_MS,
      retiredSealingKeyLifetimeMs: MAX_SESSION_TTL_SECONDS * 1000 + SKEW_MS,
      now,
    });
    const { created } = await keyring.initialize();
    const shared = (redis = await createRedis({ config, metrics, ...(logger ? { logger } : {}) }));
    const localRateLimits = new MemoryRateLimitStore({ now });

    // The base: what any feature may be given.
    const issuer = { value: config.issuer };
    const events = new EventBus({ onListenerError: (error, type) => logger?.error({ err: error, event: type }, 'event listener failed') });
    const base = {
      database,
      keyring,
      events,
      /** Outbound events are staged through the transaction of their change (events/outbox.ts). */
      outbox: new Outbox({ events, now }),
      metrics,
      now,
      issuer: () => issuer.value,
      // With Redis the counts are every node's; each rule's behaviour without it is in ratelimit/fallback.ts.
      rateLimits: shared
        ? new FallbackRateLimitStore({
            shared: new RedisRateLimitStore(shared.connection.commands),
            local: localRateLimits,
            onSharedFailure: () => shared.connection.failed('rate_limit'),
          })
        : localRateLimits,
      dpop: new DpopVerifier({
        replay: shared
          ? new RedisDpopReplayStore({ redis: shared.connection.commands, now, onFailure: () => shared.connection.failed('dpop_replay') })
          : new MemoryDpopReplayStore(),
        // Nonces must check out on every node: derive their key from the shared master key.
        nonces: new DpopNonces({ secret: Buffer.from(hkdfSync('sha256', masterKey.key, Buffer.alloc(0), 'guestpass dpop nonce', 32)), now }),
        now,
      }),
    };

    // The features, each from what it uses. Two links point forward, and both are asked for
    // only when routes are registered: the clients admin API is guarded by oauth's access-token
    // check, and oauth serves the grant and the revocable tokens of sessions.
    const clients = createClients({ ...base, config, admin: () => operators.access });
    const oauth = createOauth({
      ...base,
      config,
      clients,
      plugins: () => ({
        grants: [...sessions.oauthPlugins.grants, ...devices.grants],
        revocableTokens: sessions.oauthPlugins.revocableTokens,
        metadata: devices.metadata,
      }),
    });
    // Right after oauth: every feature with admin routes is handed its requireAdmin. Accounts,
    // built later, are asked for only when someone signs in or is added.
    const operators = createOperators({
      ...base,
      config,
      masterKey: masterKey.key,
      oauth,
      accounts: () => accounts.service,
      onError: (error, what) => logger?.error({ err: error }, `${what} failed`),
    });
    const admin = operators.access;
    const sessions = createSessions({
      ...base,
      config,
      transferCodeKey: derivedKey(masterKey.key, 'guestpass transfer codes'),
      clientCache: clients.cache,
      oauth,
      admin,
      listClients: () => clients.store.list(),
      // What the cull deletes or purges beside its own rows: other features', through their APIs.
      cullPeers: () => ({
        forget: [
          (userIds, db) => accounts.service.forgetProofs(userIds, db),
          ...(config.cullTelemetry === 'delete' ? [(userIds: readonly string[], db: Kysely<Database>) => telemetry.service.forgetUsers(userIds, db)] : []),
        ],
        revocations: { count: (at) => oauth.revocations.countExpired(at), purge: (at) => oauth.revocations.purgeExpired(at) },
        emailProofs: {
          count: () => accounts.service.countExpiredProofs(),
          purge: async () => {
            let purged = 0;
            for (;;) {
              const batch = await accounts.service.purgeExpiredProofs(PROOF_PURGE_BATCH);
              purged += batch;
              if (batch < PROOF_PURGE_BATCH) return purged;
            }
          },
        },
      }),
    });
    const anomaly = createAnomaly({ ...base, config, sessions, admin, ...(shared ? { redis: shared.connection } : {}) });
    const telemetry = createTelemetry({
      ...base,
      config,
      ...(logger ? { logger } : {}),
      // One copy of the geolocation database (~130 MB): telemetry's default country source is the
      // anomaly feature's resolver, which answers per prefix from its cache. GUESTPASS_GEOIP_LOAD=off
      // leaves that resolver empty, and the default country source with it.
      ...(config.telemetryCountryDb === 'dbip' && (config.geoipDatabase !== GEOIP_NONE || config.geoipLoad === 'off') ? { country: anomaly.service.geo } : {}),
      isQuarantined: (sessionId) => anomaly.service.isQuarantined(sessionId),
      clientCache: clients.cache,
      oauth,
      admin,
      ...(shared
        ? { sharedLimits: new RedisEventLimits(shared.connection.commands), onSharedLimitFailure: () => shared.connection.failed('telemetry_limit') }
        : {}),
    });
    // It listens from now, before detection starts (with the routes): the log holds events in the
    // order the detectors see them, one emitted while another is handled (a containment's
    // revocation) after it, so an export replays as the server ran.
    const audit = createAudit({ ...base, config, admin, ...(logger ? { logger } : {}) });
    const accounts = createAccounts({
      ...base,
      config,
      masterKey: masterKey.key,
      clientCache: clients.cache,
      oauth,
      admin,
      sessions,
      // A person's events and alerts, for their erasure and export.
      telemetry: telemetry.service,
      anomaly: anomaly.service,
      audit: audit.service,
      onMailError: (error) => logger?.error({ err: error }, 'sending mail failed'),
    });
    const stats = createStats({ ...base, config, admin, countUsers: () => sessions.users.countByKind(), ...(logger ? { logger } : {}) });
    const stopSharing = shared
      ? shareChanges({
          changes: shared.changes,
          events,
          clients,
          keyring,
          anomaly: anomaly.service,
          onError: (error, what) => logger?.error({ err: error }, `redis: ${what} failed`),
        })
      : () => {};
    const webhooks = createWebhooks({ ...base, config, masterKey: masterKey.key, admin });
    const devices = createDevices({
      ...base,
      config,
      keys: { userCodes: derivedKey(masterKey.key, 'guestpass user codes'), csrf: derivedKey(masterKey.key, 'guestpass device csrf') },
      clientCache: clients.cache,
      oauth,
      sessions,
      accounts: { signInOnPage: (request, input) => accounts.signInOnPage(request, input) },
    });

    return {
      config,
      store: database,
      events: base.events,
      outbox: base.outbox,
      keyring,
      features: { clients, oauth, operators, sessions, accounts, anomaly, telemetry, stats, audit, webhooks, devices, consoleUi: createConsoleUi({ config }) },
      clients: clients.service,
      clientStore: clients.store,
      clientCache: clients.cache,
      clientAuth: oauth.clientAuth,
      accessTokens: oauth.accessTokens,
      revocations: oauth.revocations,
      sessionStore: sessions.store,
      dpop: base.dpop,
      userStore: sessions.users,
      guestSessions: sessions.service,
      guestCull: sessions.cull,
      accounts: accounts.service,
      idTokens: accounts.idTokens,
      telemetry: telemetry.service,
      stats: stats.service,
      audit: audit.service,
      webhooks: webhooks.service,
      operators: operators.service,
      rateLimits: base.rateLimits,
      redis: shared,
      anomaly: anomaly.service,
      metrics,
      issuer,
      now,
      notes: { migrationsApplied, keysCreated: created, permissions, ...(masterKey.warning ? { masterKeyWarning: masterKey.warning } : {}) },
      // Telemetry first: its writer commits what is queued while the database is still open.
      close: async () => {
        // Rotations of requests cut off by the shutdown timeout still commit before the database closes.
        await sessions.store.drainRotations();
        await telemetry.service.close();
        await stats.service.close().catch((error: unknown) => logger?.error({ err: error }, 'the last active-user stats flush failed'));
        await accounts.service.close();
        // After the other features: whatever closing them emitted is in the log too.
        await audit.service.close().catch((error: unknown) => logger?.error({ err: error }, 'the last audit log write failed'));
        // After the others: what they changed while closing is still announced.
        stopSharing();
        await shared?.close();
        await database.close();
      },
    };
  } catch (error) {
    await redis?.close();
    await database.close();
    throw error;
  }
}
