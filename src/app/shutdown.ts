import type { FastifyInstance } from 'fastify';
import { httpError } from '../shared/error-codes.js';

/** What a client refused during shutdown is told to wait: a restart or another node answers by then. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/**
 * While the server stops (SIGTERM: see server.ts and cli/serve.ts), in-flight requests finish
 * and every response closes its connection, so the drain is not held up by idle keep-alive
 * connections. A request that still arrives (on a connection that was busy when the stop began)
 * gets 503 temporarily_unavailable with Retry-After, instead of Fastify's own 503 body, which
 * is not an RFC 6749 error object.
 */
export function answerDuringShutdown(app: FastifyInstance): void {
  let stopping = false;
  app.addHook('preClose', (done) => {
    stopping = true;
    app.log.info('stopping: in-flight requests finish, new ones get 503');
    done();
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    if (!stopping) return done();
    done(httpError('SHUTTING_DOWN', undefined, { 'Retry-After': String(SHUTDOWN_RETRY_AFTER_SECONDS), Connection: 'close' }));
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (stopping) reply.header('Connection', 'close');
    done(null, payload);
  });
}
