import type { FastifyInstance } from 'fastify';
import { JWKS_MAX_AGE_SECONDS } from '../crypto/key-activation.js';
import type { Keyring } from '../crypto/keyring.js';
import type { DpopVerifier } from '../dpop/index.js';
import type { Grants } from './grants/index.js';

export interface DiscoveryDeps {
  issuer: () => string;
  dpop: Pick<DpopVerifier, 'algorithms'>;
  keyring: Pick<Keyring, 'jwks'>;
}

/** RFC 8414 authorization-server metadata; served at both well-known paths. */
export function serverMetadata(
  deps: Pick<DiscoveryDeps, 'issuer' | 'dpop'>,
  grants: Grants,
  extra: (issuer: string) => Record<string, unknown> = () => ({}),
): Record<string, unknown> {
  const issuer = deps.issuer();
  return {
    ...extra(issuer),
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    grant_types_supported: grants.types(),
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['admin:read', 'admin:write'],
    dpop_signing_alg_values_supported: deps.dpop.algorithms,
    service_documentation: `${issuer}/docs`,
  };
}

export async function discoveryRoutes(
  app: FastifyInstance,
  deps: DiscoveryDeps,
  grants: Grants,
  extra?: (issuer: string) => Record<string, unknown>,
): Promise<void> {
  const metadata = { schema: { tags: ['discovery'], summary: 'Authorization-server metadata (RFC 8414)' } };
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, metadata, async (_request, reply) => {
      reply.header('Cache-Control', 'public, max-age=300');
      return serverMetadata(deps, grants, extra);
    });
  }
  app.get('/.well-known/jwks.json', { schema: { tags: ['discovery'], summary: 'Public signing keys (RFC 7517)' } }, async (_request, reply) => {
    // Short cache: a rotated key must reach resource servers before tokens carry it; a staged
    // rotation waits at least this long before the key signs (crypto/key-activation.ts).
    reply.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    return deps.keyring.jwks();
  });
}
