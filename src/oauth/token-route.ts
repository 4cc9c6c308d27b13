import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { enforceRateLimits, MINUTE_MS } from '../ratelimit/index.js';
import type { AuthenticatedClient } from './client-auth.js';
import { advertiseDpopNonce } from './dpop-binding.js';
import { oauthError } from './error-codes.js';
import type { Grants } from './grants/index.js';
import type { Grant, TokenResponse } from './grants/types.js';
import { TokenRequestSchema, type TokenRequestBody } from './token-schema.js';
import { noStore, oauthErrorResponses } from './responses.js';

/** POST /oauth/token (RFC 6749 §3.2), read as its steps; `grants` are the grant types it serves. */
export async function tokenRoute(app: FastifyInstance, ctx: AppContext, grants: Grants): Promise<void> {
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
      await limitByIp(ctx, request);
      const grant = selectGrant(grants, request.body.grant_type);
      const authenticated = await ctx.clientAuth.authenticate(request, request.body);
      await limitByClient(ctx, authenticated.client.id);
      checkGrantAllowed(grant, authenticated);
      const response = await grant.handle({ ctx, request, body: request.body, client: authenticated.client, authMethod: authenticated.method });
      return respond(ctx, reply, grant, response);
    },
  );
}

async function limitByIp(ctx: AppContext, request: FastifyRequest): Promise<void> {
  // Keyed by the full address in memory only; nothing about it is stored or logged.
  await enforceRateLimits(ctx.rateLimits, [
    { key: `token:ip:${request.ip}`, limit: ctx.config.tokenRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
  ]);
}

async function limitByClient(ctx: AppContext, clientId: string): Promise<void> {
  await enforceRateLimits(ctx.rateLimits, [
    { key: `token:client:${clientId}`, limit: ctx.config.tokenRateLimitPerClient, windowMs: MINUTE_MS, subject: 'this client' },
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

function respond(ctx: AppContext, reply: FastifyReply, grant: Grant, response: TokenResponse): TokenResponse {
  ctx.metrics.tokensIssued.inc({ grant_type: grant.type });
  noStore(reply);
  advertiseDpopNonce(ctx, reply);
  return response;
}
