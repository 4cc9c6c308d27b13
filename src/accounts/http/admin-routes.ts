import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { previewMerge } from '../conversion.js';
import { accountError } from '../error-codes.js';
import type { AccountRecord } from '../store.js';
import { ClientFields, type AccountRoutesDeps } from './common.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) }, { additionalProperties: false });
/** PostgreSQL text cannot hold NUL, and no user id has one. */
const UserId = Type.String({ maxLength: 128, pattern: '^[^\\u0000]*$' });
const PreviewBody = Type.Object({ guest_id: UserId, account_id: UserId, ...ClientFields }, { additionalProperties: false });

/** Merged guest ids listed with a user; the export lists them all. */
const MAX_MERGED_GUESTS_SHOWN = 100;

function userView(user: AccountRecord) {
  return {
    user_id: user.id,
    is_anonymous: user.isAnonymous,
    email: user.email,
    created_by_client: user.createdByClient,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    email_verified_at: user.emailVerifiedAt,
    has_password: user.passwordHash !== null,
    converted_at: user.convertedAt,
    merged_into: user.mergedInto,
    merged_at: user.mergedAt,
    metadata_version: user.metadataVersion,
    metadata: user.metadata,
  };
}

/** Users in the admin API, and the merge preview for confidential clients. */
export async function accountAdminRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts } = deps;
  app.get<{ Params: Static<typeof IdParams> }>(
    '/admin/api/users/:id',
    {
      preHandler: deps.admin.requireAdmin('read'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'Read a user with its metadata and the ids of the guests merged into it (first 100); a merged guest says which account it went into',
        params: IdParams,
      },
    },
    async (request) => {
      const user = await accounts.store.get(request.params.id);
      if (!user) {
        // A merged guest that never had a row still has its alias.
        const target = await accounts.store.aliasTarget(request.params.id);
        if (!target) throw accountError('USER_NOT_FOUND');
        return { user_id: request.params.id, is_anonymous: true, merged_into: target };
      }
      // The guests merged into an account, so an operator can follow a person's history; a guest has none.
      const mergedGuests = user.isAnonymous ? [] : await accounts.store.mergedGuestsOf(user.id);
      return { ...userView(user), merged_guests: mergedGuests.slice(0, MAX_MERGED_GUESTS_SHOWN), merged_guests_count: mergedGuests.length };
    },
  );

  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/accounts/merge/preview',
    {
      schema: { tags: ['accounts'], summary: 'What merging a guest into an account would produce, without writing (confidential clients)', body: PreviewBody },
    },
    async (request) => {
      const { client } = await deps.oauth.clientAuth.authenticate(request, request.body);
      if (client.type !== 'confidential') throw accountError('CONFIDENTIAL_CLIENT_REQUIRED');
      const [guest, account] = await Promise.all([accounts.store.get(request.body.guest_id), accounts.store.get(request.body.account_id)]);
      // A client previews its own guests only (an admin client any).
      if (!guest?.isAnonymous || guest.mergedInto !== null || (!client.isAdmin && guest.createdByClient !== client.id)) {
        throw accountError('USER_NOT_FOUND', 'No live guest of this client has this guest_id.');
      }
      // The preview shows the account's metadata: only to the client that created it (or an admin client).
      if (!account || account.isAnonymous || account.mergedInto !== null || (!client.isAdmin && account.createdByClient !== client.id)) {
        throw accountError('USER_NOT_FOUND', 'No registered user of this client has this account_id.');
      }
      const result = await previewMerge(deps, account, guest);
      return { guest_id: guest.id, account_id: account.id, metadata: result.metadata, decisions: result.decisions };
    },
  );
}
