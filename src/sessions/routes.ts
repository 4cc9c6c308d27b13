import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cachedClient, checkClientOrigin, type Client } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import { noStore, type OauthApi, type RequestFacts } from '../oauth/index.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { MINUTE_MS } from '../shared/time.js';
import { GuestpassError } from '../shared/errors.js';
import { parseClientJson } from '../shared/json-body.js';
import type { Metrics } from '../shared/metrics.js';
import { networkField, networkOf } from '../shared/network.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './cookie.js';
import { resolveSessionCaller, type SessionCaller, type SessionCredentialDeps } from './credentials.js';
import { sessionError } from './error-codes.js';
import type { GuestSessionService } from './service.js';
import { readSessionData, writeMetadata, type SessionData, type SessionDataDeps } from './session-data.js';
import type { SessionsConfig } from './options.js';
import type { GuestTransfers } from './transfer.js';
import type { GuestTokenResponse } from './types.js';

export interface AnonymousRoutesDeps extends SessionCredentialDeps, SessionDataDeps {
  service: Pick<GuestSessionService, 'authenticate' | 'create' | 'refresh' | 'revokeToken'>;
  transfers: Pick<GuestTransfers, 'redeem' | 'listSessions'>;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued'>;
  config: Pick<CoreConfig, 'dpopRequireNonce' | 'guestRateLimitPerIp' | 'guestRateLimitPerPrefix' | 'guestRateLimitPerClient' | 'jsonMaxDepth'> &
    Pick<SessionsConfig, 'transferRateLimitPerIp'>;
  oauth: SessionCredentialDeps['oauth'] & Pick<OauthApi, 'gatherFacts' | 'advertiseDpopNonce'>;
}

const AnonymousTokenBody = Type.Object(
  {
    client_id: Type.Optional(Type.String({ maxLength: 200, description: 'Required unless the client authenticates with HTTP Basic.' })),
    client_secret: Type.Optional(Type.String({ maxLength: 500 })),
    scope: Type.Optional(Type.String({ maxLength: 2000, description: 'A subset of the client’s guest scopes; all of them when absent.' })),
    audience: Type.Optional(Type.String({ maxLength: 500 })),
    resource: Type.Optional(Type.String({ maxLength: 500 })),
    metadata: Type.Optional(
      Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ maxLength: 65536 })], {
        description: 'Initial metadata: a JSON object (a JSON string in form bodies).',
      }),
    ),
    user_id: Type.Optional(Type.String({ maxLength: 200, description: 'Confidential clients only: bring your own user id.' })),
    session_token: Type.Optional(Type.String({ maxLength: 4096, description: 'Re-mint: the same as grant_type=refresh_token.' })),
    transfer_code: Type.Optional(
      Type.String({ maxLength: 32, description: 'A code from POST /anonymous/transfer on another device: a new session of that same guest.' }),
    ),
    transport: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('cookie')])),
  },
  { additionalProperties: false },
);
type AnonymousTokenBody = Static<typeof AnonymousTokenBody>;

/** Guest sessions: POST /anonymous/token, GET /anonymous/session, PATCH its metadata, logout. */
export async function anonymousRoutes(app: FastifyInstance, deps: AnonymousRoutesDeps): Promise<void> {
  const tags = ['guest sessions'];

  app.post<{ Body: AnonymousTokenBody }>(
    '/anonymous/token',
    { bodyLimit: 128 * 1024, schema: { tags, summary: 'Create a guest session, or re-mint one with its session token', body: AnonymousTokenBody } },
    async (request, reply) => {
      const { body } = request;
      if (body.transfer_code !== undefined) return redeemTransferCode(deps, request, reply, body);
      const cookieToken = body.session_token === undefined ? readSessionCookie(request, deps.issuer()) : undefined;
      const sessionToken = body.session_token ?? cookieToken;
      if (sessionToken === undefined) await limitCreationByNetwork(deps, request);
      const facts = await deps.oauth.gatherFacts(request, body);
      const transport = body.transport ?? facts.client.guest.transport;
      let response: GuestTokenResponse;
      if (sessionToken === undefined) {
        await limitCreationByClient(deps, facts.client);
        response = await deps.service.create(facts, {
          ...(body.scope !== undefined ? { scope: body.scope } : {}),
          ...(body.audience !== undefined ? { audience: body.audience } : {}),
          ...(body.resource !== undefined ? { resource: body.resource } : {}),
          ...(body.metadata !== undefined ? { metadata: parseMetadata(body.metadata, deps.config.jsonMaxDepth) } : {}),
          ...(body.user_id !== undefined ? { userId: body.user_id } : {}),
        });
      } else {
        if (cookieToken !== undefined) checkClientOrigin(facts.client, request, { required: true });
        response = await refreshOrClearCookie(deps, reply, facts, sessionToken, cookieToken !== undefined);
      }
      // Counted here, not in the service: /oauth/token counts its own refreshes.
      deps.metrics.tokensIssued.inc({ grant_type: sessionToken === undefined ? 'anonymous' : 'refresh_token' });
      return deliver(deps, reply, response, transport);
    },
  );

  app.get('/anonymous/session', { schema: { tags, summary: 'The caller’s session, its scope and its metadata, with an ETag' } }, async (request, reply) => {
    const caller = await resolveSessionCaller(deps, request);
    const [data, sessions] = await Promise.all([readSessionData(deps, caller), deps.transfers.listSessions(caller)]);
    return sendSessionData(reply, { ...data, view: { ...data.view, sessions } });
  });

  app.patch<{ Body: unknown }>(
    '/anonymous/session/metadata',
    {
      bodyLimit: 128 * 1024,
      schema: {
        tags,
        summary: 'Change metadata with a JSON Merge Patch (RFC 7396); If-Match for optimistic concurrency',
        consumes: ['application/merge-patch+json', 'application/json'],
        body: Type.Object({}, { additionalProperties: true, description: 'A JSON Merge Patch: null deletes a key.' }),
      },
    },
    async (request, reply) => {
      const caller = await resolveSessionCaller(deps, request);
      await checkCookieOrigin(deps, caller, request);
      const ifMatch = request.headers['if-match'];
      const data = await writeMetadata(deps, caller, { patch: request.body, ifMatch: ifMatch?.trim(), ...networkField(request.ip) });
      return sendSessionData(reply, data);
    },
  );

  app.post('/anonymous/logout', { schema: { tags, summary: 'End the caller’s own session' } }, async (request, reply) => {
    const caller = await resolveSessionCaller(deps, request);
    await checkCookieOrigin(deps, caller, request);
    await deps.service.revokeToken(caller.session, 'logout', networkField(request.ip));
    if (caller.via === 'cookie') clearSessionCookie(reply, deps.issuer());
    return reply.code(204).send();
  });
}

/**
 * POST /anonymous/token with `transfer_code`: a new session of the guest that made the code.
 * Attempts are limited per address before anything else, right or wrong (a code is 34 bits
 * and lives minutes, so guessing needs far more tries than the limit allows); the code goes
 * with nothing but the client, since who the guest is comes from the code itself.
 */
async function redeemTransferCode(deps: AnonymousRoutesDeps, request: FastifyRequest, reply: FastifyReply, body: AnonymousTokenBody) {
  const extra = (['session_token', 'user_id', 'metadata', 'scope', 'audience', 'resource'] as const).filter((field) => body[field] !== undefined);
  if (extra.length > 0) throw sessionError('TRANSFER_CODE_INVALID', `A transfer_code comes alone with the client; drop ${extra.join(', ')}.`);
  await enforceRateLimits(deps.rateLimits, [
    { key: `transfer:ip:${request.ip}`, limit: deps.config.transferRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
  ]);
  const facts = await deps.oauth.gatherFacts(request, body);
  const response = await deps.transfers.redeem(facts, body.transfer_code!);
  deps.metrics.tokensIssued.inc({ grant_type: 'transfer_code' });
  return deliver(deps, reply, response, body.transport ?? facts.client.guest.transport);
}

/** Limits per IP and per /24 or /48 network, before any other work (a flood costs us little). */
async function limitCreationByNetwork(deps: AnonymousRoutesDeps, request: FastifyRequest): Promise<void> {
  const prefix = networkOf(request.ip)?.ip_prefix ?? request.ip;
  await enforceRateLimits(deps.rateLimits, [
    { key: `guest:ip:${request.ip}`, limit: deps.config.guestRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
    { key: `guest:net:${prefix}`, limit: deps.config.guestRateLimitPerPrefix, windowMs: MINUTE_MS, subject: 'this network' },
  ]);
}

async function limitCreationByClient(deps: AnonymousRoutesDeps, client: Client): Promise<void> {
  await enforceRateLimits(deps.rateLimits, [
    { key: `guest:client:${client.id}`, limit: deps.config.guestRateLimitPerClient, windowMs: MINUTE_MS, subject: 'this client' },
  ]);
}

function parseMetadata(metadata: Record<string, unknown> | string, maxDepth: number): unknown {
  if (typeof metadata !== 'string') return metadata;
  return parseClientJson(metadata, {
    maxDepth,
    where: 'metadata field',
    invalid: () => sessionError('METADATA_INVALID', 'metadata in a form body must be a JSON object encoded as a string.'),
  });
}

/** A failed cookie refresh also clears the cookie, so the next call starts a fresh session. */
async function refreshOrClearCookie(
  deps: AnonymousRoutesDeps,
  reply: FastifyReply,
  facts: RequestFacts,
  token: string,
  fromCookie: boolean,
): Promise<GuestTokenResponse> {
  try {
    return await deps.service.refresh(facts, token);
  } catch (error) {
    if (fromCookie && error instanceof GuestpassError && error.error === 'invalid_grant') clearSessionCookie(reply, deps.issuer());
    throw error;
  }
}

/** In cookie mode the session token goes into the HttpOnly cookie and never into the body. */
function deliver(deps: AnonymousRoutesDeps, reply: FastifyReply, response: GuestTokenResponse, transport: 'body' | 'cookie'): Partial<GuestTokenResponse> {
  noStore(reply);
  deps.oauth.advertiseDpopNonce(reply);
  if (transport === 'body') return response;
  setSessionCookie(reply, deps.issuer(), response.session_token, response.session_expires_in);
  const { session_token: _session, refresh_token: _refresh, ...rest } = response;
  return rest;
}

/** State changes that ride on the cookie need an allowed Origin (CSRF). */
async function checkCookieOrigin(deps: Pick<AnonymousRoutesDeps, 'clientCache'>, caller: SessionCaller, request: FastifyRequest): Promise<void> {
  if (caller.via !== 'cookie') return;
  checkClientOrigin(await cachedClient(deps.clientCache, caller.session.cid), request, { required: true });
}

function sendSessionData(reply: FastifyReply, data: SessionData) {
  reply.header('ETag', data.etag).header('Cache-Control', 'no-store');
  return data.view;
}
