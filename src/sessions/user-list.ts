/**
 * The admin listing of users (GET /admin/api/users): guests and registered users alike, newest
 * first, one page at a time. It reads the whole `users` row, account columns included, but
 * never hands out a secret: the password hash leaves the database only as "is there one".
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface UserQuery {
  isAnonymous?: boolean;
  /** The client that created the user. */
  clientId?: string;
  /** created_at ≥ createdAfter and < createdBefore; the same for last_seen_at. */
  createdAfter?: number;
  createdBefore?: number;
  lastSeenAfter?: number;
  lastSeenBefore?: number;
  /** Merged into an account (true) or not (false). */
  merged?: boolean;
  limit: number;
  cursor?: UserCursor;
}

/** Where a page ends: the (created_at, id) of its last user. */
export interface UserCursor {
  createdAt: number;
  id: string;
}

export interface UserSummary {
  id: string;
  isAnonymous: boolean;
  createdByClient: string | null;
  createdAt: number;
  updatedAt: number;
  lastSeenAt: number;
  email: string | null;
  emailVerifiedAt: number | null;
  hasPassword: boolean;
  convertedAt: number | null;
  mergedInto: string | null;
  mergedAt: number | null;
  metadataVersion: number;
}

export interface UserPage {
  users: UserSummary[];
  nextCursor: UserCursor | null;
}

/** Opaque to clients: base64url of `created_at:id`. */
export function encodeUserCursor(cursor: UserCursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`).toString('base64url');
}

export function decodeUserCursor(raw: string): UserCursor | undefined {
  const match = /^(\d{1,16}):([A-Za-z0-9._-]{1,128})$/.exec(Buffer.from(raw, 'base64url').toString());
  return match ? { createdAt: Number(match[1]), id: match[2]! } : undefined;
}

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));

/** One page of users matching `query`, newest first (created_at, then id, descending). */
export async function listUsers(db: Kysely<Database>, query: UserQuery): Promise<UserPage> {
  let select = db
    .selectFrom('users')
    .select([
      'id',
      'is_anonymous',
      'created_by_client',
      'created_at',
      'updated_at',
      'last_seen_at',
      'email',
      'email_verified_at',
      'converted_at',
      'merged_into',
      'merged_at',
      'metadata_version',
      sql<number>`case when password_hash is null then 0 else 1 end`.as('has_password'),
    ]);
  if (query.isAnonymous !== undefined) select = select.where('is_anonymous', '=', query.isAnonymous ? 1 : 0);
  if (query.clientId !== undefined) select = select.where('created_by_client', '=', query.clientId);
  if (query.createdAfter !== undefined) select = select.where('created_at', '>=', query.createdAfter);
  if (query.createdBefore !== undefined) select = select.where('created_at', '<', query.createdBefore);
  if (query.lastSeenAfter !== undefined) select = select.where('last_seen_at', '>=', query.lastSeenAfter);
  if (query.lastSeenBefore !== undefined) select = select.where('last_seen_at', '<', query.lastSeenBefore);
  if (query.merged !== undefined) select = select.where('merged_into', query.merged ? 'is not' : 'is', null);
  const { cursor } = query;
  if (cursor) {
    select = select.where((eb) =>
      eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]),
    );
  }
  const rows = await select
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const users = rows.slice(0, query.limit).map(
    (row): UserSummary => ({
      id: row.id,
      isAnonymous: row.is_anonymous === 1,
      createdByClient: row.created_by_client,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      lastSeenAt: Number(row.last_seen_at),
      email: row.email,
      emailVerifiedAt: nullableNumber(row.email_verified_at),
      hasPassword: Number(row.has_password) === 1,
      convertedAt: nullableNumber(row.converted_at),
      mergedInto: row.merged_into,
      mergedAt: nullableNumber(row.merged_at),
      metadataVersion: row.metadata_version,
    }),
  );
  const last = users[users.length - 1];
  return { users, nextCursor: rows.length > query.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}
