import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreConfig } from '../config/index.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { MINUTE_MS } from '../shared/time.js';
import type { Metrics } from '../shared/metrics.js';
import type { AuthenticatedClient, ClientAuthenticator } from './client-auth.js';
import { advertiseDpopNonce, type DpopBindingDeps } from './dpop-binding.js';
import { oauthError } from './error-codes.js';
import type { Grants } from './grants/index.js';
import type { Grant, TokenResponse } from './grants/types.js';
import { TokenRequestSchema, type TokenRequestBody } from './token-schema.js';
import { noStore, oauthErrorResponses } from './responses.js';

export interface TokenRouteDeps extends Pick<DpopBindingDeps, 'dpop'> {
  clientAuth: Pick<ClientAuthenticator, 'authenticate'>;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued'>;
  config: Pick<CoreConfig, 'dpopRequireNonce' | 'tokenRateLimitPerIp' | 'tokenRateLimitPerClient'>;
}

/** POST /oauth/token (RFC 6749 §3.2), read as its steps; `grants` are the grant types it serves. */
export async function tokenRoute(app: FastifyInstance, deps: TokenRouteDeps, grants: Grants): Promise<void> {
  app.post<{ Body: TokenRequestBody }>(
    '/oauth/token',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint (RFC 6749 §3.2)',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenRequestSchema,
        response: oauthErrorResponses,
      },
    },
    async (request, reply) => {
      await limitByIp(deps, request);
      const grant = selectGrant(grants, request.body.grant_type);
      const authenticated = await deps.clientAuth.authenticate(request, request.body);
      await limitByClient(deps, authenticated.client.id);
      checkGrantAllowed(grant, authenticated);
      const response = await grant.handle({ request, body: request.body, client: authenticated.client, authMethod: authenticated.method });
      return respond(deps, reply, grant, response);
    },
  );
}

async function limitByIp(deps: TokenRouteDeps, request: FastifyRequest): Promise<void> {
  // Keyed by the full address in memory only; nothing about it is stored or logged.
  await enforceRateLimits(deps.rateLimits, [
    { key: `token:ip:${request.ip}`, limit: deps.config.tokenRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
  ]);
}

async function limitByClient(deps: TokenRouteDeps, clientId: string): Promise<void> {
  await enforceRateLimits(deps.rateLimits, [
    { key: `token:client:${clientId}`, limit: deps.config.tokenRateLimitPerClient, windowMs: MINUTE_MS, subject: 'this client' },
  ]);
}

function selectGrant(grants: Grants, type: string): Grant {
  const grant = grants.find(type);
  if (!grant)
    throw oauthError(
      'UNSUPPORTED_GRANT_TYPE',
      `grant_type "${type.slice(0, 100)}" is not supported; use one of those in grant_types_supported of the discovery document.`,
    );
  return grant;
}

function checkGrantAllowed(grant: Grant, { client, method }: AuthenticatedClient): void {
  if (method === 'none' && !grant.allowsPublicClients) {
    throw oauthError('UNAUTHORIZED_CLIENT', `${grant.type} needs a confidential client with a secret.`);
  }
  if (!(client.grantTypes as string[]).includes(grant.type)) {
    throw oauthError('UNAUTHORIZED_CLIENT', `This client is not allowed to use ${grant.type}; allowed: ${client.grantTypes.join(', ') || '(none)'}.`);
  }
}

function respond(deps: TokenRouteDeps, reply: FastifyReply, grant: Grant, response: TokenResponse): TokenResponse {
  deps.metrics.tokensIssued.inc({ grant_type: grant.type });
  noStore(reply);
  advertiseDpopNonce(deps, reply);
  return response;
}
