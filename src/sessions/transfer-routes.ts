import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cachedClient, checkClientOrigin, type ClientCache } from '../clients/index.js';
import { noStore } from '../oauth/index.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { MINUTE_MS } from '../shared/time.js';
import { networkOf } from '../shared/network.js';
import { resolveSessionCaller, type SessionCaller, type SessionCredentialDeps } from './credentials.js';
import type { SessionsConfig } from './options.js';
import type { GuestTransfers } from './transfer.js';

export interface TransferRoutesDeps extends SessionCredentialDeps {
  transfers: GuestTransfers;
  rateLimits: RateLimitStore;
  clientCache: Pick<ClientCache, 'lookup'>;
  config: SessionCredentialDeps['config'] & Pick<SessionsConfig, 'transferRateLimitPerSession'>;
}

const TransferBody = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'A page of your application (on one of the client’s allowed origins) that takes the code from its fragment; it becomes transfer_url and the QR payload.',
      }),
    ),
  },
  { additionalProperties: false },
);
const RevokeBody = Type.Object({ session_id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** POST /anonymous/transfer (make a transfer code) and POST /anonymous/session/revoke (end another session of the same user). */
export async function transferRoutes(app: FastifyInstance, deps: TransferRoutesDeps): Promise<void> {
  const tags = ['guest sessions'];

  app.post<{ Body: Static<typeof TransferBody> | undefined }>(
    '/anonymous/transfer',
    { schema: { tags, summary: 'A short-lived, single-use code that starts a session of the same guest on another device', body: TransferBody } },
    async (request, reply) => {
      const caller = await resolveSessionCaller(deps, request);
      await checkCookieOrigin(deps, caller, request);
      await enforceRateLimits(deps.rateLimits, [
        { key: `transfer:session:${caller.session.sid}`, limit: deps.config.transferRateLimitPerSession, windowMs: MINUTE_MS, subject: 'this session' },
      ]);
      const response = await deps.transfers.create(caller, { url: request.body?.url }, networkOf(request.ip));
      noStore(reply);
      return reply.code(201).send(response);
    },
  );

  app.post<{ Body: Static<typeof RevokeBody> }>(
    '/anonymous/session/revoke',
    { schema: { tags, summary: 'End another session of the caller’s own user (one a transfer code started, say)', body: RevokeBody } },
    async (request, reply) => {
      const caller = await resolveSessionCaller(deps, request);
      await checkCookieOrigin(deps, caller, request);
      await deps.transfers.revokeOther(caller, request.body.session_id);
      return reply.code(204).send();
    },
  );
}

/** State changes that ride on the cookie need an allowed Origin (CSRF), as on the other /anonymous/* endpoints. */
async function checkCookieOrigin(deps: Pick<TransferRoutesDeps, 'clientCache'>, caller: SessionCaller, request: FastifyRequest): Promise<void> {
  if (caller.via !== 'cookie') return;
  checkClientOrigin(await cachedClient(deps.clientCache, caller.session.cid), request, { required: true });
}
