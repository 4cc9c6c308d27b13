import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import { guestSettingsFromJson, guestSettingsToJson } from './guest-settings.js';
import type { ClientService } from './service.js';
import { GRANT_TYPES, type Client, type NewClient } from './types.js';
import { userSettingsFromJson, userSettingsToJson } from './user-settings.js';

const GuestSettingsBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
    session_ttl: Type.Optional(Type.Integer({ description: 'Absolute session lifetime, seconds (300 to 7776000). @default 2592000' })),
    idle_timeout: Type.Optional(Type.Integer({ description: 'Idle timeout, seconds. @default 604800' })),
    retention: Type.Optional(
      Type.Union([Type.Integer(), Type.Null()], {
        description: 'Seconds an inactive guest with no live session is kept before the cull deletes it; at least session_ttl. @default null (= session_ttl)',
      }),
    ),
    refresh_grace: Type.Optional(
      Type.Integer({ description: 'Grace window for the immediate predecessor of a rotated session token, seconds (0 to 60). @default 10' }),
    ),
    metadata_max_bytes: Type.Optional(Type.Integer({ description: 'Largest serialized metadata. @default 4096' })),
    metadata_schema: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'JSON Schema for metadata' })),
    claims_mapping: Type.Optional(
      Type.Array(Type.Object({ claim: Type.String({ maxLength: 64 }), path: Type.String({ maxLength: 200 }) }, { additionalProperties: false }), {
        maxItems: 10,
      }),
    ),
    require_dpop: Type.Optional(Type.Boolean()),
    require_if_match: Type.Optional(Type.Boolean()),
    transfer_codes: Type.Optional(Type.Boolean({ description: 'Guests may move to another device with a transfer code. @default false' })),
    transport: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('cookie')])),
    merge_strategies: Type.Optional(
      Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), {
        description: 'Per top-level metadata key: prefer_account, prefer_guest, union (or {"strategy": "union", "id": "sku"}), sum, latest.',
      }),
    ),
    telemetry: Type.Optional(
      Type.Union([
        Type.Object(
          {
            allowed_events: Type.Optional(
              Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500, description: 'Event names POST /v1/events keeps; others are dropped.' }),
            ),
            allowed_props: Type.Optional(
              Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500, description: 'Prop keys kept; others are removed from events.' }),
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
);

const UserSettingsBody = Type.Object(
  {
    scopes: Type.Optional(
      Type.Union([Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }), Type.Null()], {
        description: 'Scopes registered users may get, each one of the client’s scopes; null follows guest.scopes. @default null',
      }),
    ),
  },
  { additionalProperties: false },
);

const ClientView = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
  is_admin: Type.Boolean(),
  allowed_origins: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  audiences: Type.Array(Type.String()),
  access_token_ttl: Type.Union([Type.Integer(), Type.Null()]),
  guest: Type.Unknown(),
  user: Type.Unknown(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

/** The admin API's view of a client: snake_case like every other response, no secret. */
export function clientView(client: Client): Static<typeof ClientView> {
  return {
    client_id: client.id,
    name: client.name,
    type: client.type,
    is_admin: client.isAdmin,
    allowed_origins: client.allowedOrigins,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    audiences: client.audiences,
    access_token_ttl: client.accessTokenTtl,
    guest: guestSettingsToJson(client.guest),
    user: userSettingsToJson(client.user),
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

const ClientSettingsFields = {
  allowed_origins: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 })),
  grant_types: Type.Optional(Type.Array(Type.Union(GRANT_TYPES.map((grant) => Type.Literal(grant))), { maxItems: 10 })),
  scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  audiences: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20 })),
  access_token_ttl: Type.Optional(Type.Union([Type.Integer({ minimum: 30, maximum: 3600 }), Type.Null()])),
  guest: Type.Optional(GuestSettingsBody),
  user: Type.Optional(UserSettingsBody),
};

const UpdateClientBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...ClientSettingsFields },
  { additionalProperties: false },
);

/** API body (snake_case) to service input; absent fields stay absent. */
function clientInput(body: Static<typeof UpdateClientBody>): Partial<Omit<NewClient, 'type'>> {
  return {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.allowed_origins !== undefined ? { allowedOrigins: body.allowed_origins } : {}),
    ...(body.grant_types !== undefined ? { grantTypes: body.grant_types } : {}),
    ...(body.scopes !== undefined ? { scopes: body.scopes } : {}),
    ...(body.audiences !== undefined ? { audiences: body.audiences } : {}),
    ...(body.access_token_ttl !== undefined ? { accessTokenTtl: body.access_token_ttl } : {}),
    ...(body.guest !== undefined ? { guest: guestSettingsFromJson(body.guest) } : {}),
    ...(body.user !== undefined ? { user: userSettingsFromJson(body.user) } : {}),
  };
}

const CreateClientBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
    is_admin: Type.Optional(Type.Boolean()),
    ...ClientSettingsFields,
  },
  { additionalProperties: false },
);

const RotateSecretBody = Type.Object(
  { overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, description: 'How long old secrets keep working. @default 86400' })) },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

/** /admin/api/clients: read with `admin:read`, change with `admin:write`. */
export async function clientAdminRoutes(app: FastifyInstance, { clients, admin }: { clients: ClientService; admin: AdminAccess }): Promise<void> {
  const read = admin.requireAdmin('read');
  const write = admin.requireAdmin('write');
  const tags = ['admin'];
  const security = [{ bearer: [] }];

  app.get('/admin/api/clients', { preHandler: read, schema: { tags, security, summary: 'List clients' } }, async () => ({
    clients: (await clients.list()).map(clientView),
  }));

  app.get<{ Params: Static<typeof IdParams> }>(
    '/admin/api/clients/:id',
    { preHandler: read, schema: { tags, security, summary: 'Read a client and its active secrets (metadata only)', params: IdParams } },
    async (request) => ({
      ...clientView(await clients.get(request.params.id)),
      secrets: (await clients.secrets(request.params.id)).map((secret) => ({ id: secret.id, created_at: secret.createdAt, expires_at: secret.expiresAt })),
    }),
  );

  app.post<{ Body: Static<typeof CreateClientBody> }>(
    '/admin/api/clients',
    { preHandler: write, bodyLimit: 64 * 1024, schema: { tags, security, summary: 'Create a client; the secret is shown once', body: CreateClientBody } },
    async (request, reply) => {
      const { client, clientSecret } = await clients.create({
        ...clientInput(request.body),
        name: request.body.name,
        type: request.body.type,
        isAdmin: request.body.is_admin ?? false,
      });
      reply.code(201).header('Cache-Control', 'no-store');
      return { ...clientView(client), ...(clientSecret ? { client_secret: clientSecret } : {}) };
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateClientBody> }>(
    '/admin/api/clients/:id',
    {
      preHandler: write,
      bodyLimit: 64 * 1024,
      schema: { tags, security, summary: 'Change a client’s settings (not its type)', params: IdParams, body: UpdateClientBody },
    },
    async (request) => clientView(await clients.update(request.params.id, clientInput(request.body))),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RotateSecretBody> | undefined }>(
    '/admin/api/clients/:id/rotate-secret',
    {
      preHandler: write,
      bodyLimit: 4096,
      schema: { tags, security, summary: 'Issue a new secret; old ones expire after the overlap', params: IdParams, body: RotateSecretBody },
    },
    async (request, reply) => {
      const { clientSecret, oldSecretsExpireAt } = await clients.rotateSecret(request.params.id, request.body?.overlap_seconds ?? 86400);
      reply.header('Cache-Control', 'no-store');
      return { client_id: request.params.id, client_secret: clientSecret, old_secrets_expire_at: oldSecretsExpireAt };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/api/clients/:id',
    { preHandler: write, schema: { tags, security, summary: 'Delete a client and its secrets', params: IdParams } },
    async (request, reply) => {
      await clients.delete(request.params.id);
      return reply.code(204).send();
    },
  );
}
