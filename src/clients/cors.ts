import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';

const REFRESH_MS = 10_000;

/**
 * CORS for browser (public) clients. A preflight carries no client_id, so it is answered for
 * any origin some client allows; each endpoint then checks the origin against its own
 * client. The origin list is cached and re-read on client changes and every 10 s (other
 * nodes' changes).
 */
export async function registerCors(app: FastifyInstance, ctx: AppContext): Promise<void> {
  let origins = new Set<string>();
  let loadedAt = 0;
  const reload = async () => {
    const clients = await ctx.clients.list();
    origins = new Set(clients.flatMap((client) => client.allowedOrigins));
    loadedAt = Date.now();
  };
  const invalidate = () => {
    loadedAt = 0;
  };
  ctx.events.on('client.created', invalidate);
  ctx.events.on('client.updated', invalidate);
  ctx.events.on('client.deleted', invalidate);

  await app.register(cors, {
    origin: (origin, callback) => {
      if (!origin) return callback(null, false);
      const answer = () => callback(null, origins.has(origin));
      if (Date.now() - loadedAt < REFRESH_MS) return answer();
      reload().then(answer, (error: unknown) => callback(error as Error, false));
    },
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'DPoP', 'If-Match'],
    exposedHeaders: ['ETag', 'DPoP-Nonce', 'WWW-Authenticate', 'Retry-After'],
    maxAge: 600,
  });
}
