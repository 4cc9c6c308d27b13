import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { httpError } from '../shared/error-codes.js';
import { registerMetricsEndpoint } from './metrics-endpoint.js';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const tags = ['operations'];
  app.get('/healthz', { schema: { tags, summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  // Redis is reported, not required: without it every limiter and the replay cache take their
  // documented fallbacks, and failing readiness on every node at once would turn a Redis
  // outage into a full one.
  app.get('/readyz', { schema: { tags, summary: 'The database answers (and whether Redis does)' } }, async () => {
    try {
      await ctx.store.ping();
    } catch {
      throw httpError('NOT_READY');
    }
    if (!ctx.redis) return { status: 'ready' };
    return { status: 'ready', redis: (await ctx.redis.connection.ping()) ? 'up' : 'down' };
  });

  registerMetricsEndpoint(app, ctx);

  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
}
