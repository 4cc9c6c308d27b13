import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { telemetryAdminRoutes } from './admin-routes.js';
import { ingestRoutes } from './routes.js';

/** Telemetry: POST /v1/events, analytics and erasure under /admin/api. */
export async function telemetryFeature(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await ingestRoutes(app, ctx);
  await telemetryAdminRoutes(app, ctx);
}
