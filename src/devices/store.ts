/**
 * The `device_authorizations` table belongs to the devices feature and this store is its only
 * writer. Every change of state is one conditional UPDATE, so two polls, two tabs or two nodes
 * racing on one request cannot both win (a code is approved once, exchanged once).
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { DeviceAuthorizationStatus, DeviceAuthorizationsTable } from './tables.js';

export interface DeviceAuthorization {
  id: string;
  clientId: string;
  scope: string | null;
  audience: string | null;
  resource: string | null;
  status: DeviceAuthorizationStatus;
  userId: string | null;
  intervalS: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
}

export type NewDeviceAuthorization = Pick<
  DeviceAuthorization,
  'id' | 'clientId' | 'scope' | 'audience' | 'resource' | 'intervalS' | 'createdAt' | 'expiresAt'
> & {
  deviceCodeHash: string;
  userCodeHash: string;
};

/** Expired rows deleted per new request: enough to keep up with any rate of requests. */
const PURGE_BATCH = 100;

function toRecord(row: Selectable<DeviceAuthorizationsTable>): DeviceAuthorization {
  return {
    id: row.id,
    clientId: row.client_id,
    scope: row.scope,
    audience: row.audience,
    resource: row.resource,
    status: row.status,
    userId: row.user_id,
    intervalS: row.interval_s,
    lastPolledAt: row.last_polled_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export class DeviceAuthorizationStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a new request; false when a code hash collides (the caller draws new codes). */
  async insert(authorization: NewDeviceAuthorization): Promise<boolean> {
    const result = await this.db
      .insertInto('device_authorizations')
      .values({
        id: authorization.id,
        client_id: authorization.clientId,
        device_code_hash: authorization.deviceCodeHash,
        user_code_hash: authorization.userCodeHash,
        scope: authorization.scope,
        audience: authorization.audience,
        resource: authorization.resource,
        status: 'pending',
        user_id: null,
        interval_s: authorization.intervalS,
        last_polled_at: null,
        created_at: authorization.createdAt,
        expires_at: authorization.expiresAt,
        decided_at: null,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async byDeviceCode(hash: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.db.selectFrom('device_authorizations').selectAll().where('device_code_hash', '=', hash).executeTakeFirst();
    return row && toRecord(row);
  }

  async byUserCode(hash: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.db.selectFrom('device_authorizations').selectAll().where('user_code_hash', '=', hash).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Records a poll that respects the interval (RFC 8628 §3.5): true when it did. A poll that
   * came too soon raises the interval by 5 s instead and returns false (`slow_down`).
   */
  async notePoll(id: string, now: number): Promise<boolean> {
    const onTime = await this.db
      .updateTable('device_authorizations')
      .set({ last_polled_at: now })
      .where('id', '=', id)
      // A little slack for the network: a poll a few milliseconds early is on time.
      .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + interval_s * 1000`, '<=', now + 250)]))
      .executeTakeFirst();
    if (Number(onTime.numUpdatedRows) === 1) return true;
    await this.db.updateTable('device_authorizations').set({ last_polled_at: now, interval_s: sql<number>`interval_s + 5` }).where('id', '=', id).execute();
    return false;
  }

  /** pending → approved or denied, once, before expiry; false when it was no longer pending. */
  async decide(id: string, decision: { status: 'approved'; userId: string } | { status: 'denied' }, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('device_authorizations')
      .set({ status: decision.status, user_id: decision.status === 'approved' ? decision.userId : null, decided_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** approved → consumed, once: the single use of the device code (RFC 8628 §3.5). */
  async consume(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('device_authorizations')
      .set({ status: 'consumed' })
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A denied request is answered once with access_denied, then forgotten. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('device_authorizations').where('id', '=', id).execute();
  }

  /** Deletes a batch of rows that expired before `before`: the table's growth bound. */
  async purgeExpired(before: number): Promise<number> {
    const expired = this.db.selectFrom('device_authorizations').select('id').where('expires_at', '<', before).limit(PURGE_BATCH);
    const result = await this.db.deleteFrom('device_authorizations').where('id', 'in', expired).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
