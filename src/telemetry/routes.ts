import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ClientCache, cachedClient, checkClientOrigin } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import { type OauthApi, oauthError, presentedToken, type PresentedToken } from '../oauth/index.js';
import { parseClientJson } from '../shared/json-body.js';
import { telemetryError } from './error-codes.js';
import { IngestBody, LIMITS } from './event-schema.js';
import type { TelemetryService } from './service.js';

export interface IngestRoutesDeps {
  service: Pick<TelemetryService, 'ingest'>;
  clientCache: Pick<ClientCache, 'lookup'>;
  oauth: Pick<OauthApi, 'verifyResourceToken'>;
  config: Pick<CoreConfig, 'jsonMaxDepth'>;
}

const IngestResponse = Type.Object({
  accepted: Type.Integer({ description: 'Events stored by this request.' }),
  duplicates: Type.Integer({ description: 'Events whose id was already stored (or repeated in the batch): not stored again.' }),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), error: Type.String(), error_description: Type.String() }), {
    description: 'Each event that was not stored, by its index in the batch.',
  }),
});

const FORM_TYPE = 'application/x-www-form-urlencoded';
const isForm = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM_TYPE);

/**
 * The token of a request to POST /v1/events: the Authorization header (Bearer or DPoP), or
 * the `access_token` field of a form body (RFC 6750 §2.2), which is how navigator.sendBeacon
 * can authenticate: it cannot set headers. One place only (RFC 6750 §2).
 */
function tokenOf(request: FastifyRequest): PresentedToken | undefined {
  const body = request.body;
  const formToken = typeof body === 'object' && body !== null && 'access_token' in body ? (body as { access_token: unknown }).access_token : undefined;
  if (formToken === undefined) return presentedToken(request);
  if (!isForm(request)) throw telemetryError('TOKEN_IN_BODY_NOT_FORM');
  if (request.headers.authorization !== undefined) throw telemetryError('TOKEN_TWICE');
  return typeof formToken === 'string' ? { scheme: 'Bearer', token: formToken } : undefined;
}

/** The events array: as sent in JSON, or decoded from the form field. */
function itemsOf(events: unknown[] | string, maxDepth: number): unknown[] {
  let items: unknown = events;
  if (typeof events === 'string') {
    items = parseClientJson(events, { maxDepth, where: 'events field', invalid: () => telemetryError('EVENTS_NOT_JSON') });
    if (!Array.isArray(items)) throw telemetryError('EVENTS_NOT_JSON');
  }
  const list = items as unknown[];
  if (list.length > LIMITS.eventsPerBatch)
    throw telemetryError('TOO_MANY_EVENTS', `This batch holds ${list.length} events; the most is ${LIMITS.eventsPerBatch}: split it.`);
  return list;
}

/** Host of the Origin header ('shop.example', 'localhost:3000'), or '' without a usable one. */
function originHost(request: FastifyRequest): string {
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return '';
  try {
    const { host } = new URL(origin);
    return host.length <= 253 ? host.toLowerCase() : '';
  } catch {
    return '';
  }
}

/** POST /v1/events: JSON batches from the SDK and the sendBeacon form. */
export async function ingestRoutes(app: FastifyInstance, deps: IngestRoutesDeps): Promise<void> {
  app.post<{ Body: IngestBody }>(
    '/v1/events',
    {
      bodyLimit: LIMITS.bodyBytes,
      // Before schema validation, so an unauthenticated caller learns nothing about the body.
      preValidation: async (request) => {
        const presented = tokenOf(request);
        if (!presented)
          throw oauthError(
            'TOKEN_MISSING',
            'This endpoint needs an access token with telemetry:write: "Authorization: Bearer <token>", or access_token in a form body.',
          );
        request.accessToken = await deps.oauth.verifyResourceToken(request, presented, ['telemetry:write']);
      },
      schema: {
        tags: ['telemetry'],
        summary: 'Send a batch of telemetry events (202 once stored); for navigator.sendBeacon send a form with access_token and events (a JSON string)',
        security: [{ bearer: [] }],
        consumes: ['application/json', FORM_TYPE],
        body: IngestBody,
        response: { 202: IngestResponse },
      },
    },
    async (request, reply) => {
      const claims = request.accessToken!;
      const client = await cachedClient(deps.clientCache, claims.client_id);
      // Browsers of a public client must be on one of its origins, as for every other call.
      if (client.type === 'public') checkClientOrigin(client, request);
      const result = await deps.service.ingest({
        claims,
        client,
        items: itemsOf(request.body.events, deps.config.jsonMaxDepth),
        origin: originHost(request),
        ip: request.ip,
      });
      return reply.code(202).header('Cache-Control', 'no-store').send(result);
    },
  );
}
