import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { discoveryRoutes } from './discovery.js';
import { tokenGrants } from './grants/index.js';
import type { Grant } from './grants/types.js';
import { introspectionRoute } from './introspection-route.js';
import { revocationRoute } from './revocation-route.js';
import { tokenRoute } from './token-route.js';

export interface OauthFeatureOptions {
  /** Grants other features provide for /oauth/token, besides oauth's own client_credentials. */
  grants: Grant[];
}

/** The OAuth 2.0 core: discovery, JWKS, token, revocation and introspection endpoints. */
export async function oauthFeature(app: FastifyInstance, ctx: AppContext, { grants }: OauthFeatureOptions): Promise<void> {
  const tokenEndpointGrants = tokenGrants(grants);
  await discoveryRoutes(app, ctx, tokenEndpointGrants);
  await tokenRoute(app, ctx, tokenEndpointGrants);
  await revocationRoute(app, ctx);
  await introspectionRoute(app, ctx);
}
