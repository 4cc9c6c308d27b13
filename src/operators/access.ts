import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { EventBus } from '../events/bus.js';
import type { OauthApi } from '../oauth/index.js';
import { readConsoleCookie } from './cookie.js';
import { operatorError } from './error-codes.js';
import type { ConsoleSession, OperatorService } from './service.js';
import type { AdminActor, AdminLevel } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called the admin API, set by `requireAdmin`. */
    adminActor?: AdminActor;
    /** What the route asked of the caller; a successful `write` is recorded as `admin.action`. */
    adminLevel?: AdminLevel;
  }
}

/** A preHandler that lets a request through only with an admin credential (see requireAdmin). */
export type AdminCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The admin API's access check, as the features that serve /admin/api/* are given it. */
export interface AdminAccess {
  /**
   * The one check of every /admin/api/* route: an admin access token (Bearer or DPoP, scope
   * `admin:read` or `admin:write`, exactly as before consoles existed) or a console session
   * cookie (role `viewer` reads, `admin` also writes; a change needs the CSRF token).
   */
  requireAdmin(level: AdminLevel): AdminCheck;
}

export interface AdminAccessDeps {
  oauth: Pick<OauthApi, 'requireAccessToken'>;
  operators: Pick<OperatorService, 'authenticate' | 'csrfMatches'>;
  events: EventBus;
  issuer: () => string;
  now: () => number;
}

/** The admin API's own URLs; the console session routes check the cookie themselves. */
const ADMIN_API = /^\/admin\/api(?:\/|$)/;
const CONSOLE_SESSION_ROUTES = /^\/admin\/api\/session(?:\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Marks the functions requireAdmin returns, so a route under /admin/api without one is refused at start-up. */
const ADMIN_CHECK = Symbol('guestpass.adminCheck');

/** Both credentials, for the OpenAPI document of every admin route. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { console: [] }];

/**
 * True when a browser says the request comes from another origin: Sec-Fetch-Site other than
 * same-origin or none (a typed URL), or an Origin that is neither the issuer's nor this host's.
 * A request with neither header (curl, a script) is not a browser's cross-site request.
 */
function isCrossSite(request: FastifyRequest, issuer: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  if (origin === new URL(issuer).origin) return false;
  try {
    return new URL(origin).host !== request.host;
  } catch {
    return true;
  }
}

/** The console side of the check, shared by requireAdmin and the console session routes. */
export class ConsoleCredential {
  constructor(private readonly deps: AdminAccessDeps) {}

  /** Whether the request carries a console cookie at all. */
  presented(request: FastifyRequest): boolean {
    return readConsoleCookie(request, this.deps.issuer()) !== undefined;
  }

  /** Refuses a request a browser sent from another site (login CSRF, cross-origin reads). */
  refuseCrossSite(request: FastifyRequest): void {
    if (isCrossSite(request, this.deps.issuer())) throw operatorError('CROSS_SITE_REQUEST');
  }

  /**
   * The live console session of the request's cookie, from this server's own origin, with
   * X-CSRF-Token on every unsafe method (double submit against an HMAC the server derives).
   */
  async authenticate(request: FastifyRequest): Promise<ConsoleSession> {
    const token = readConsoleCookie(request, this.deps.issuer());
    if (token === undefined) throw operatorError('CONSOLE_SESSION_MISSING');
    this.refuseCrossSite(request);
    const session = await this.deps.operators.authenticate(token);
    if (!session) throw operatorError('CONSOLE_SESSION_ENDED');
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      if (typeof presented !== 'string' || !this.deps.operators.csrfMatches(session.id, presented)) throw operatorError('CONSOLE_CSRF_FAILED');
    }
    return session;
  }
}

/** Builds requireAdmin and what installs it on the app (the start-up guard and the write log). */
export function createAdminAccess(deps: AdminAccessDeps): AdminAccess & { console: ConsoleCredential; install(app: FastifyInstance): void } {
  const consoleCredential = new ConsoleCredential(deps);
  const bearer = {
    read: deps.oauth.requireAccessToken({ scopes: ['admin:read'] }),
    write: deps.oauth.requireAccessToken({ scopes: ['admin:write'] }),
  };

  function requireAdmin(level: AdminLevel): AdminCheck {
    const check: AdminCheck = async function requireAdmin(request, reply) {
      // A request with Authorization is an API client's: the cookie rides along only in browsers.
      if (request.headers.authorization !== undefined || !consoleCredential.presented(request)) {
        await bearer[level](request, reply);
        const claims = request.accessToken;
        request.adminActor = { kind: 'client', id: claims?.client_id ?? claims?.sub ?? 'unknown' };
      } else {
        const session = await consoleCredential.authenticate(request);
        if (level === 'write' && session.operator.role !== 'admin') throw operatorError('READ_ONLY_OPERATOR');
        request.adminActor = { kind: 'operator', id: session.operator.id, role: session.operator.role, sessionId: session.id };
      }
      request.adminLevel = level;
    };
    return Object.assign(check, { [ADMIN_CHECK]: true });
  }

  return {
    requireAdmin,
    console: consoleCredential,
    install(app) {
      // Every admin route is guarded by requireAdmin, or the server does not start: a new route
      // cannot forget the console cookie's CSRF rule or check a credential its own way.
      app.addHook('onRoute', (route: RouteOptions) => {
        if (!ADMIN_API.test(route.url) || CONSOLE_SESSION_ROUTES.test(route.url)) return;
        const handlers = [route.preHandler ?? []].flat();
        if (!handlers.some((handler) => typeof handler === 'function' && ADMIN_CHECK in handler))
          throw new Error(`${String(route.method)} ${route.url} is an admin route without requireAdmin('read' | 'write') as its preHandler`);
        if (route.schema?.security) route.schema.security = ADMIN_SECURITY;
      });
      // Every successful change through the admin API, whoever made it, lands in the event log.
      app.addHook('onResponse', (request, reply, done) => {
        const actor = request.adminActor;
        if (actor && request.adminLevel === 'write' && reply.statusCode < 400) {
          const target = (request.params as Record<string, unknown> | undefined)?.['id'];
          deps.events.emit('admin.action', {
            time: deps.now(),
            subject: actor.id,
            actor_kind: actor.kind,
            method: request.method,
            route: request.routeOptions.url ?? 'unmatched',
            status: reply.statusCode,
            ...(typeof target === 'string' && target.length <= 256 ? { target_id: target } : {}),
          });
        }
        done();
      });
    },
  };
}
