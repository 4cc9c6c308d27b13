import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { oauthError } from '../oauth/error-codes.js';
import type { AppContext } from './context.js';
import { installErrorHandlers, preRoutingErrorOptions } from './error-handler.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where /metrics is served when GUESTPASS_METRICS_ADDRESS gives it a listener of its own, once it listens. */
    metricsUrl: string | undefined;
  }
}

const REALM = 'Bearer realm="guestpass-metrics"';
const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * GUESTPASS_METRICS_TOKEN as a bearer token. Both sides are hashed first, so the comparison
 * takes the same time whatever the length or content of what was sent.
 */
function requireMetricsToken(token: string): preHandlerHookHandler {
  const expected = sha256(token);
  return (request, _reply, done) => {
    const presented = /^Bearer +(\S+)$/i.exec(request.headers.authorization?.trim() ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) return done();
    done(
      presented === undefined
        ? oauthError('TOKEN_MISSING', 'GET /metrics needs the metrics token: send it as "Authorization: Bearer <GUESTPASS_METRICS_TOKEN>".', {
            'WWW-Authenticate': REALM,
          })
        : oauthError('INVALID_TOKEN', 'This is not the metrics token (GUESTPASS_METRICS_TOKEN).', { 'WWW-Authenticate': `${REALM}, error="invalid_token"` }),
    );
  };
}

function metricsRoute(app: FastifyInstance, ctx: AppContext): void {
  const token = ctx.config.metricsToken;
  app.get(
    '/metrics',
    { ...(token ? { preHandler: requireMetricsToken(token) } : {}), schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );
}

/**
 * GET /metrics. Its labels describe traffic (routes, error codes, detectors), so an operator
 * can keep it off the public port (GUESTPASS_METRICS_ADDRESS: a listener of its own, opened
 * when the app is ready and closed with it) and require a token (GUESTPASS_METRICS_TOKEN).
 */
export function registerMetricsEndpoint(app: FastifyInstance, ctx: AppContext): void {
  app.decorate('metricsUrl', undefined);
  const address = ctx.config.metricsAddress;
  if (!address) {
    metricsRoute(app, ctx);
    return;
  }

  const apart = Fastify({ loggerInstance: app.log, ...preRoutingErrorOptions(ctx) });
  installErrorHandlers(apart, ctx);
  metricsRoute(apart, ctx);
  // onReady, not onListen: a port that cannot be bound stops the start instead of being logged.
  app.addHook('onReady', async () => {
    await apart.listen({ host: address.host, port: address.port });
    const bound = apart.server.address();
    const port = typeof bound === 'object' && bound ? bound.port : address.port;
    app.metricsUrl = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
    app.log.info({ url: app.metricsUrl }, 'metrics served on their own listener');
  });
  app.addHook('onClose', async () => {
    await apart.close();
  });
}
