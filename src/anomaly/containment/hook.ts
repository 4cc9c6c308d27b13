import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readSessionCookie, type SessionsApi } from '../../sessions/index.js';
import { networkOf } from '../../shared/network.js';
import { anomalyError } from '../error-codes.js';
import type { AnomalyService } from '../service.js';
import type { Entity } from '../types.js';
import type { Block } from './types.js';

/** Operations and the admin API stay reachable, so an operator on a blocked network can lift the block. */
function exempt(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  return url !== undefined && (url.startsWith('/admin/') || url === '/healthz' || url === '/readyz' || url === '/metrics');
}

const retryAfter = (block: Block, now: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil((block.expiresAt - now) / 1000))) });

interface Caller {
  sessionId?: string;
  userId?: string;
  clientId?: string;
}

/** Claims of a JWT without verifying it: safe here because they can only lead to a refusal. */
function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What containment at the door reads: the clock, the issuer (for the cookie's name) and who a session token names. */
export interface ContainmentHookDeps {
  now: () => number;
  issuer: () => string;
  sessions: { service: Pick<SessionsApi['service'], 'identify'> };
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Who a request is about, as far as containment cares: the session, user and client of its
 * access token, session token (body or cookie) or client_id. Only computed while some
 * session, user or client is contained, so normal traffic never pays for it.
 */
function identify(deps: ContainmentHookDeps, request: FastifyRequest): Caller {
  const caller: Caller = {};
  const authorization = request.headers.authorization;
  const match = authorization ? /^(?:Bearer|DPoP) +(\S+)$/i.exec(authorization) : null;
  const claims = match?.[1] ? unverifiedClaims(match[1]) : undefined;
  if (claims) Object.assign(caller, { sessionId: text(claims['sid']), userId: text(claims['sub']), clientId: text(claims['client_id']) });
  const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
  const sessionToken = text(body['refresh_token']) ?? text(body['session_token']) ?? readSessionCookie(request, deps.issuer());
  if (sessionToken) {
    // Not a session token of ours when undefined: the route will say so.
    const session = deps.sessions.service.identify(sessionToken);
    if (session) Object.assign(caller, { sessionId: session.sid, userId: session.uid, clientId: session.cid });
  }
  caller.clientId ??= text(body['client_id']);
  return caller;
}

/**
 * Containment at the door, effective from the request after the finding:
 * `onRequest` refuses blocked or throttled networks before the body is read; `preHandler`
 * (once the body is parsed) refuses throttled sessions, users and clients and waits for a
 * revocation of the caller's session still being written. Both are Map lookups, skipped
 * outright while nothing is contained.
 */
export function installContainmentHooks(app: FastifyInstance, deps: ContainmentHookDeps, anomaly: AnomalyService): void {
  const { active } = anomaly.containment;

  app.addHook('onRequest', (request, _reply, done) => {
    if (active.size === 0 || exempt(request)) return done();
    const prefix = networkOf(request.ip)?.ip_prefix;
    if (!prefix) return done();
    const now = deps.now();
    const blocked = active.find('block_prefix', 'prefix', prefix, now);
    if (blocked) return done(anomalyError('PREFIX_BLOCKED', undefined, retryAfter(blocked, now)));
    let throttled = active.find('throttle', 'prefix', prefix, now);
    if (!throttled && (active.any('throttle', 'asn') || active.any('block_prefix', 'asn'))) {
      const asn = anomaly.geo.resolve(prefix)?.asn;
      if (asn !== undefined) {
        const byAsn = active.find('block_prefix', 'asn', String(asn), now);
        if (byAsn) return done(anomalyError('PREFIX_BLOCKED', undefined, retryAfter(byAsn, now)));
        throttled = active.find('throttle', 'asn', String(asn), now);
      }
    }
    done(throttled ? anomalyError('ENTITY_THROTTLED', undefined, retryAfter(throttled, now)) : undefined);
  });

  const kinds: Entity['kind'][] = ['session', 'user', 'client'];
  app.addHook('preHandler', (request, _reply, done) => {
    const throttles = kinds.some((kind) => active.any('throttle', kind));
    if ((!throttles && !anomaly.containment.revocationsPending) || exempt(request)) return done();
    const caller = identify(deps, request);
    const now = deps.now();
    if (throttles) {
      const throttled =
        (caller.sessionId && active.find('throttle', 'session', caller.sessionId, now)) ||
        (caller.userId && active.find('throttle', 'user', caller.userId, now)) ||
        (caller.clientId && active.find('throttle', 'client', caller.clientId, now));
      if (throttled) return done(anomalyError('ENTITY_THROTTLED', undefined, retryAfter(throttled, now)));
    }
    const pending = caller.sessionId ? anomaly.containment.pendingRevocation(caller.sessionId) : undefined;
    if (!pending) return done();
    // The route then finds the session revoked and answers as for any revoked session.
    pending.then(
      () => done(),
      () => done(),
    );
  });
}
