import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { LoginLimits } from '../accounts/index.js';
import type { EventBus } from '../events/bus.js';
import type { OauthApi } from '../oauth/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { Store } from '../storage/database.js';
import { type AdminAccess, createAdminAccess } from './access.js';
import type { OperatorsConfig } from './options.js';
import { consoleSessionRoutes } from './routes.js';
import { OperatorService } from './service.js';
import { ConsoleSessionStore } from './session-store.js';
import { OperatorStore } from './store.js';
import type { OperatorAccounts } from './types.js';

export interface OperatorsDeps {
  database: Store;
  /** The TOTP sealing key and the CSRF key are derived from it, so every node agrees. */
  masterKey: Buffer;
  events: EventBus;
  /** Sign-in attempts count against the same limits as account logins. */
  rateLimits: RateLimitStore;
  now: () => number;
  issuer: () => string;
  config: OperatorsConfig & LoginLimits;
  /** Admin access tokens, checked exactly as before consoles existed. */
  oauth: Pick<OauthApi, 'requireAccessToken'>;
  /** Registered accounts: built after this feature, asked for only when someone signs in or is added. */
  accounts: () => OperatorAccounts;
  /** Failures of the work done on other features' events, without personal data. */
  onError?: (error: unknown, what: string) => void;
}

export interface OperatorsFeature {
  /** `guestpass admins`, sign-in, console sessions, TOTP. */
  service: OperatorService;
  /** requireAdmin, handed to every feature that serves /admin/api/*. */
  access: AdminAccess;
  /**
   * Before any admin route is registered: refuses at start-up an admin route without
   * requireAdmin, and records every successful admin write as `admin.action`.
   */
  install(app: FastifyInstance): void;
  /** /admin/api/session and its TOTP routes. */
  routes(app: FastifyInstance): Promise<void>;
}

const derive = (masterKey: Buffer, info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));

/** Console operators: people with a role on a registered account, their sessions, and the admin API's one access check. */
export function createOperators(deps: OperatorsDeps): OperatorsFeature {
  const { database, masterKey, events, rateLimits, now, issuer, config, oauth, accounts, onError = () => {} } = deps;
  const service = new OperatorService({
    operators: new OperatorStore(database.db),
    sessions: new ConsoleSessionStore(database.db),
    accounts,
    events,
    rateLimits,
    loginLimits: config,
    now,
    issuer,
    totpKey: derive(masterKey, 'guestpass operator totp secrets'),
    csrfKey: derive(masterKey, 'guestpass console csrf'),
    idleTimeoutMs: config.consoleIdleTimeout * 1000,
    lifetimeMs: config.consoleSessionLifetime * 1000,
  });
  // A reset password or an erased person ends their console sessions too, on whichever node.
  events.on('password.reset', (event) => {
    if (event.subject) service.endSessionsOf(event.subject).catch((error: unknown) => onError(error, 'ending console sessions after a password reset'));
  });
  events.on('user.deleted', (event) => {
    if (event.subject) service.forget(event.subject).catch((error: unknown) => onError(error, 'forgetting an erased operator'));
  });
  const access = createAdminAccess({ oauth, operators: service, events, issuer, now });
  return {
    service,
    access: { requireAdmin: access.requireAdmin },
    install: access.install,
    routes: (app) => consoleSessionRoutes(app, { operators: service, console: access.console, issuer, now }),
  };
}
