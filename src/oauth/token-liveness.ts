import type { Kysely } from 'kysely';
import { erasedUserHash } from '../sessions/index.js';
import type { Database } from '../storage/schema.js';
import type { AccessTokenClaims } from './access-token.js';

/**
 * Whether an unexpired, well-signed access token must still be refused: its `jti` is on the
 * denylist (RFC 7009), its session was revoked (logout, reuse, containment), its user was
 * merged into an account, or its user was erased. One round trip for all four, because every
 * request to Guestpass's own resource endpoints (telemetry ingestion above all) pays for it. This is the one read
 * that spans features' tables, on purpose.
 */
export async function isAccessTokenRevoked(db: Kysely<Database>, claims: Pick<AccessTokenClaims, 'jti' | 'sid' | 'sub'>): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('revocations').select('jti').where('jti', '=', claims.jti).as('denied'),
      eb
        .selectFrom('sessions')
        .select('revoked_at')
        .where('id', '=', claims.sid ?? '')
        .as('session_revoked_at'),
      eb.selectFrom('users').select('merged_into').where('id', '=', claims.sub).as('merged_into'),
      eb.selectFrom('erased_users').select('user_hash').where('user_hash', '=', erasedUserHash(claims.sub)).as('erased'),
    ])
    .executeTakeFirst();
  return row?.denied != null || row?.session_revoked_at != null || row?.merged_into != null || row?.erased != null;
}
