import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { httpError } from '../shared/error-codes.js';
import { registerMetricsEndpoint } from './metrics-endpoint.js';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const tags = ['operations'];
  app.get('/healthz', { schema: { tags, summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags, summary: 'The database answers' } }, async () => {
    try {
      await ctx.store.ping();
    } catch {
      throw httpError('NOT_READY');
    }
    return { status: 'ready' };
  });

  registerMetricsEndpoint(app, ctx);

  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
}
