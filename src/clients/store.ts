import type { Kysely, Selectable } from 'kysely';
import type { StagedEvents } from '../events/outbox.js';
import { externalChangeCounter } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { ClientsTable } from './tables.js';
import { DEFAULT_GUEST_SETTINGS, type GuestSettings } from './guest-settings.js';
import type { Client, ClientSecretInfo, GrantType } from './types.js';
import { DEFAULT_USER_SETTINGS, type UserSettings } from './user-settings.js';

function toClient(row: Selectable<ClientsTable>): Client {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    isAdmin: row.is_admin === 1,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    grantTypes: JSON.parse(row.grant_types) as GrantType[],
    scopes: JSON.parse(row.scopes) as string[],
    audiences: JSON.parse(row.audiences) as string[],
    accessTokenTtl: row.access_token_ttl,
    guest: { ...DEFAULT_GUEST_SETTINGS, ...(JSON.parse(row.guest_settings ?? '{}') as Partial<GuestSettings>) },
    user: { ...DEFAULT_USER_SETTINGS, ...(JSON.parse(row.user_settings ?? '{}') as Partial<UserSettings>) },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(client: Client): ClientsTable {
  return {
    id: client.id,
    name: client.name,
    type: client.type,
    is_admin: client.isAdmin ? 1 : 0,
    allowed_origins: JSON.stringify(client.allowedOrigins),
    grant_types: JSON.stringify(client.grantTypes),
    scopes: JSON.stringify(client.scopes),
    audiences: JSON.stringify(client.audiences),
    access_token_ttl: client.accessTokenTtl,
    guest_settings: JSON.stringify(client.guest),
    user_settings: JSON.stringify(client.user),
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

export interface StoredSecret {
  id: string;
  hash: string;
  expiresAt: number | null;
}

/**
 * RFC 6749 Appendix A.1: a client_id is VSCHARs (%x20-7E). Any other string names no client
 * and is not sent to the database, where PostgreSQL would refuse a NUL byte with an error.
 */
function isClientId(id: string): boolean {
  return /^[\x20-\x7E]+$/.test(id);
}

/** Clients and their hashed secrets. Speaks domain types; callers never see SQL. */
export class ClientStore {
  private readonly changeCounter: (() => number) | undefined;

  constructor(private readonly db: Kysely<Database>) {
    this.changeCounter = externalChangeCounter(db);
  }

  /**
   * A number that changes when another process writes to the database, for caches to notice
   * a client changed elsewhere; undefined when the database cannot tell cheaply (PostgreSQL).
   */
  externalChanges(): number | undefined {
    return this.changeCounter?.();
  }

  async insert(client: Client, secret?: StoredSecret): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('clients').values(toRow(client)).execute();
      if (secret) {
        await trx
          .insertInto('client_secrets')
          .values({ id: secret.id, client_id: client.id, secret_hash: secret.hash, created_at: client.createdAt, expires_at: secret.expiresAt })
          .execute();
      }
    });
  }

  /** Saves changed settings; the id, type and creation time never change. */
  async update(client: Client): Promise<void> {
    const { id: _id, type: _type, created_at: _created, ...settings } = toRow(client);
    await this.db.updateTable('clients').set(settings).where('id', '=', client.id).execute();
  }

  async get(id: string): Promise<Client | undefined> {
    if (!isClientId(id)) return undefined;
    const row = await this.db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toClient(row);
  }

  async list(): Promise<Client[]> {
    const rows = await this.db.selectFrom('clients').selectAll().orderBy('created_at').execute();
    return rows.map(toClient);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('clients')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async delete(id: string): Promise<boolean> {
    if (!isClientId(id)) return false;
    const result = await this.db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Secrets that still authenticate at `now`. */
  async activeSecrets(clientId: string, now: number): Promise<StoredSecret[]> {
    const rows = await this.liveSecretRows(clientId, now);
    return rows.map((row) => ({ id: row.id, hash: row.secret_hash, expiresAt: row.expires_at }));
  }

  /** The same secrets without their hashes, for display. */
  async secretInfo(clientId: string, now: number): Promise<ClientSecretInfo[]> {
    const rows = await this.liveSecretRows(clientId, now);
    return rows.map((row) => ({ id: row.id, createdAt: row.created_at, expiresAt: row.expires_at }));
  }

  private liveSecretRows(clientId: string, now: number) {
    return this.db
      .selectFrom('client_secrets')
      .select(['id', 'secret_hash', 'created_at', 'expires_at'])
      .where('client_id', '=', clientId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at')
      .execute();
  }

  /**
   * Adds a new secret and gives every secret without an expiry one at `oldExpiresAt`, in one
   * transaction: during the overlap both work, then only the new one does. Expired secrets
   * are deleted on the way, and `stage` writes the rotation's outbound event in the same
   * transaction; returns what it staged.
   */
  async rotateSecret(
    clientId: string,
    secret: StoredSecret,
    now: number,
    oldExpiresAt: number,
    stage: (trx: Kysely<Database>) => Promise<StagedEvents>,
  ): Promise<StagedEvents> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('client_secrets').where('client_id', '=', clientId).where('expires_at', '<=', now).execute();
      await trx
        .updateTable('client_secrets')
        .set({ expires_at: oldExpiresAt })
        .where('client_id', '=', clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldExpiresAt)]))
        .execute();
      await trx
        .insertInto('client_secrets')
        .values({ id: secret.id, client_id: clientId, secret_hash: secret.hash, created_at: now, expires_at: secret.expiresAt })
        .execute();
      await trx.updateTable('clients').set({ updated_at: now }).where('id', '=', clientId).execute();
      return stage(trx);
    });
  }
}
