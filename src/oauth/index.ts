import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { discoveryRoutes } from './discovery.js';
import { introspectionRoute } from './introspection-route.js';
import { revocationRoute } from './revocation-route.js';
import { tokenRoute } from './token-route.js';

/** The OAuth 2.0 core: discovery, JWKS, token, revocation and introspection endpoints. */
export async function oauthFeature(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await discoveryRoutes(app, ctx);
  await tokenRoute(app, ctx);
  await revocationRoute(app, ctx);
  await introspectionRoute(app, ctx);
}
