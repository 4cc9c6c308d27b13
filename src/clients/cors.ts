import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventBus } from '../events/bus.js';
import { clientError } from './error-codes.js';
import type { ClientService } from './service.js';

export interface CorsDeps {
  events: EventBus;
  clients: Pick<ClientService, 'list'>;
  /** Registers a listener for changes made on other nodes (the feature's `forget`). */
  onForget?: (listener: () => void) => void;
}

const REFRESH_MS = 10_000;

/** What browsers may send, as the preflight answer lists it. */
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'DPoP', 'If-Match'];
/** CORS-safelisted methods (Fetch §2.2.1): a browser never needs them in Access-Control-Allow-Methods. */
const SAFELISTED_METHODS = ['GET', 'HEAD', 'POST'];

const acceptedMethods = new Set([...SAFELISTED_METHODS, ...METHODS]);
const acceptedHeaders = new Set(ALLOWED_HEADERS.map((name) => name.toLowerCase()));

/** Whether some client allows an origin; the list is cached and re-read on client changes and every 10 s (other nodes' changes). */
function originChecker({ events, clients, onForget }: CorsDeps): (origin: string) => Promise<boolean> {
  let origins = new Set<string>();
  let loadedAt = 0;
  const invalidate = () => {
    loadedAt = 0;
  };
  events.on('client.created', invalidate);
  events.on('client.updated', invalidate);
  events.on('client.deleted', invalidate);
  onForget?.(invalidate);
  return async (origin) => {
    if (Date.now() - loadedAt >= REFRESH_MS) {
      const all = await clients.list();
      origins = new Set(all.flatMap((client) => client.allowedOrigins));
      loadedAt = Date.now();
    }
    return origins.has(origin);
  };
}

/**
 * A preflight the browser would fail gets an RFC 6749 error object saying why, instead of
 * @fastify/cors's 404 (unknown origin), `text/plain` 400 (no requested method) or a 204 the
 * browser then refuses (a method or header not allowed).
 */
async function checkPreflight(request: FastifyRequest, isAllowed: (origin: string) => Promise<boolean>): Promise<void> {
  const { origin } = request.headers;
  if (origin === undefined) return;
  if (!(await isAllowed(origin))) {
    throw clientError(
      'ORIGIN_NOT_ALLOWED',
      'This Origin is not in the allowed_origins of any client; add it to the allowed_origins of the client the page uses.',
      { Vary: 'Origin' },
    );
  }
  const method = request.headers['access-control-request-method'];
  if (method === undefined) throw clientError('PREFLIGHT_INVALID');
  if (!acceptedMethods.has(method)) {
    throw clientError('PREFLIGHT_NOT_ALLOWED', `Access-Control-Request-Method must be one of ${[...acceptedMethods].join(', ')}.`);
  }
  const headers = (request.headers['access-control-request-headers'] ?? '').split(',').map((name) => name.trim().toLowerCase());
  if (headers.some((name) => name !== '' && !acceptedHeaders.has(name))) {
    throw clientError(
      'PREFLIGHT_NOT_ALLOWED',
      `Access-Control-Request-Headers may only name ${ALLOWED_HEADERS.join(', ')}; send no other request headers from the browser.`,
    );
  }
}

/**
 * CORS for browser (public) clients. A preflight carries no client_id, so it is answered for
 * any origin some client allows; each endpoint then checks the origin against its own client.
 */
export async function registerCors(app: FastifyInstance, deps: CorsDeps): Promise<void> {
  const isAllowed = originChecker(deps);
  // Ahead of @fastify/cors's own hook, so a preflight it would refuse never reaches it.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method !== 'OPTIONS') return done();
    checkPreflight(request, isAllowed).then(() => done(), done);
  });
  await app.register(cors, {
    origin: (origin, callback) => {
      if (!origin) return callback(null, false);
      isAllowed(origin).then(
        (allowed) => callback(null, allowed),
        (error: unknown) => callback(error as Error, false),
      );
    },
    credentials: true,
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: ['ETag', 'DPoP-Nonce', 'WWW-Authenticate', 'Retry-After'],
    maxAge: 600,
  });
}
