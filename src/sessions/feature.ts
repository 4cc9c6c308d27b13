import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { sessionAdminRoutes } from './admin-routes.js';
import { anonymousRoutes } from './routes.js';

/** Guest sessions: /anonymous/* and their admin API. The refresh grant plugs into /oauth/token (app/ hands it to oauth). */
export async function sessionsFeature(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await anonymousRoutes(app, ctx);
  await sessionAdminRoutes(app, ctx);
}
