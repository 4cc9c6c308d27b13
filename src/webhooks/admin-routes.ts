import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { OUTBOUND_EVENT_TYPES, type OutboundEventName } from '../events/outbox.js';
import type { AdminAccess } from '../operators/index.js';
import type { WebhookService } from './service.js';
import type { WebhookEndpointPatch } from './types.js';
import { endpointView, messageView } from './views.js';

const EventTypes = Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20, uniqueItems: true }), Type.Null()], {
  description: `Event types it receives (${OUTBOUND_EVENT_TYPES.join(', ')}); null for all. @default null`,
});
const ClientIds = Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100, uniqueItems: true }), Type.Null()], {
  description: 'Only events naming one of these clients; null for every event. @default null',
});

const EndpointFields = {
  description: Type.Optional(Type.String({ maxLength: 500 })),
  event_types: Type.Optional(EventTypes),
  client_ids: Type.Optional(ClientIds),
  enabled: Type.Optional(Type.Boolean({ description: '@default true' })),
};

const CreateBody = Type.Object(
  { url: Type.String({ minLength: 1, maxLength: 2048, description: 'https:// (http:// to loopback in development).' }), ...EndpointFields },
  { additionalProperties: false },
);
const PatchBody = Type.Object({ url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })), ...EndpointFields }, { additionalProperties: false });
const RotateBody = Type.Object(
  {
    expires_in: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 86400, description: 'Seconds the previous secret keeps signing beside the new one. @default 86400' }),
    ),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const MessageParams = Type.Object({ id: Type.String({ maxLength: 64 }), msgId: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const MessagesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])),
    cursor: Type.Optional(Type.String({ maxLength: 128, description: 'next_cursor of the previous page.' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'Messages per page, 1 to 100. @default 50' })),
  },
  { additionalProperties: false },
);

function patchOf(body: Static<typeof PatchBody>): WebhookEndpointPatch {
  return {
    ...(body.url !== undefined ? { url: body.url } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.event_types !== undefined ? { eventTypes: body.event_types as OutboundEventName[] | null } : {}),
    ...(body.client_ids !== undefined ? { clientIds: body.client_ids } : {}),
    ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
  };
}

/** /admin/api/webhooks: read with `admin:read`, change with `admin:write`. */
export async function webhookAdminRoutes(app: FastifyInstance, { webhooks, admin }: { webhooks: WebhookService; admin: AdminAccess }): Promise<void> {
  const read = admin.requireAdmin('read');
  const write = admin.requireAdmin('write');
  const tags = ['webhooks'];
  const security = [{ bearer: [] }];

  app.get('/admin/api/webhooks', { preHandler: read, schema: { tags, security, summary: 'List webhook endpoints' } }, async () => ({
    endpoints: (await webhooks.list()).map(endpointView),
  }));

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/admin/api/webhooks',
    { preHandler: write, bodyLimit: 64 * 1024, schema: { tags, security, summary: 'Create a webhook endpoint; its secret is shown once', body: CreateBody } },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.create({ ...patchOf(request.body), url: request.body.url });
      reply.code(201).header('Cache-Control', 'no-store');
      return { ...endpointView(endpoint), secret };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/admin/api/webhooks/:id',
    { preHandler: read, schema: { tags, security, summary: 'Read a webhook endpoint (never its secret)', params: IdParams } },
    async (request) => endpointView(await webhooks.get(request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/admin/api/webhooks/:id',
    {
      preHandler: write,
      bodyLimit: 64 * 1024,
      schema: { tags, security, summary: 'Change an endpoint: url, description, filters, enabled', params: IdParams, body: PatchBody },
    },
    async (request) => endpointView(await webhooks.update(request.params.id, patchOf(request.body))),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RotateBody> | undefined }>(
    '/admin/api/webhooks/:id/rotate-secret',
    {
      preHandler: write,
      bodyLimit: 4096,
      schema: { tags, security, summary: 'Issue a new signing secret; the previous one also signs until expires_in', params: IdParams, body: RotateBody },
    },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.rotateSecret(request.params.id, request.body?.expires_in ?? 86400);
      reply.header('Cache-Control', 'no-store');
      return { ...endpointView(endpoint), secret };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/api/webhooks/:id',
    { preHandler: write, schema: { tags, security, summary: 'Delete an endpoint with its messages and attempts', params: IdParams } },
    async (request, reply) => {
      await webhooks.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof MessagesQuery> }>(
    '/admin/api/webhooks/:id/messages',
    {
      preHandler: read,
      schema: { tags, security, summary: 'An endpoint’s messages, newest first, with every attempt', params: IdParams, querystring: MessagesQuery },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      const page = await webhooks.messages(request.params.id, {
        ...(status ? { status } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        limit: Math.min(100, Math.max(1, limit === undefined ? 50 : Number(limit))),
      });
      return { messages: page.messages.map(messageView), next_cursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof MessageParams> }>(
    '/admin/api/webhooks/:id/messages/:msgId',
    { preHandler: read, schema: { tags, security, summary: 'One message with every attempt', params: MessageParams } },
    async (request) => messageView(await webhooks.message(request.params.id, request.params.msgId)),
  );

  app.post<{ Params: Static<typeof MessageParams> }>(
    '/admin/api/webhooks/:id/messages/:msgId/retry',
    { preHandler: write, schema: { tags, security, summary: 'Send a message again now, from the start of the retry schedule', params: MessageParams } },
    async (request, reply) => {
      reply.code(202);
      return messageView(await webhooks.retry(request.params.id, request.params.msgId));
    },
  );
}
