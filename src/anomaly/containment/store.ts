import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { BlocksTable } from '../tables.js';
import { namingPerson, type PersonEntities } from '../alerts/store.js';
import type { Block } from './types.js';

function toBlock(row: Selectable<BlocksTable>): Block {
  return {
    id: row.id,
    action: row.action,
    entity: { kind: row.entity_kind, id: row.entity_id },
    detector: row.detector,
    alertId: row.alert_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    liftedAt: row.lifted_at === null ? null : Number(row.lifted_at),
  };
}

/** Persisted containment (throttles, prefix blocks, quarantines), the same on both dialects. */
export class BlockStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(block: Block): Promise<void> {
    await this.db
      .insertInto('blocks')
      .values({
        id: block.id,
        action: block.action,
        entity_kind: block.entity.kind,
        entity_id: block.entity.id,
        detector: block.detector,
        alert_id: block.alertId,
        created_at: block.createdAt,
        expires_at: block.expiresAt,
        lifted_at: null,
        updated_at: block.createdAt,
      })
      .execute();
  }

  /** Retention: deletes blocks that ended (expired or lifted) before `cutoff`; returns how many. */
  async purgeEndedBefore(cutoff: number): Promise<number> {
    const deleted = await this.db
      .deleteFrom('blocks')
      .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('lifted_at', '<', cutoff)]))
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  async get(id: string): Promise<Block | undefined> {
    const row = await this.db.selectFrom('blocks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toBlock(row);
  }

  /** In force at `now`, newest first. */
  async active(now: number, limit = 1000): Promise<Block[]> {
    const rows = await this.db
      .selectFrom('blocks')
      .selectAll()
      .where('lifted_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toBlock);
  }

  /** Created or lifted at or after `since`, for other nodes to catch up. */
  async changedSince(since: number): Promise<Block[]> {
    const rows = await this.db.selectFrom('blocks').selectAll().where('updated_at', '>=', since).execute();
    return rows.map(toBlock);
  }

  /** Lifts a block still in force; returns it, or undefined when there was none to lift. */
  async lift(id: string, now: number): Promise<Block | undefined> {
    const row = await this.db
      .updateTable('blocks')
      .set({ lifted_at: now, updated_at: now })
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row && toBlock(row);
  }

  /** Lifts every block an alert caused (a false_positive verdict); returns them. */
  async liftForAlert(alertId: string, now: number): Promise<Block[]> {
    const rows = await this.db
      .updateTable('blocks')
      .set({ lifted_at: now, updated_at: now })
      .where('alert_id', '=', alertId)
      .where('lifted_at', 'is', null)
      .returningAll()
      .execute();
    return rows.map(toBlock);
  }

  /** Points blocks at the alert they belong to, once its stored id is known. */
  async setAlert(ids: string[], alertId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('blocks').set({ alert_id: alertId }).where('id', 'in', ids).execute();
  }

  /**
   * Erasure, in the erasure's transaction: deletes the blocks about a person, and unlinks the
   * blocks of other entities (a network, a client) from the person's deleted alerts.
   */
  async deleteNaming(person: PersonEntities, alertIds: readonly string[], trx: Kysely<Database>): Promise<number> {
    const deleted = await trx
      .deleteFrom('blocks')
      .where((eb) => namingPerson(eb, person))
      .executeTakeFirst();
    if (alertIds.length > 0) await trx.updateTable('blocks').set({ alert_id: null }).where('alert_id', 'in', alertIds).execute();
    return Number(deleted.numDeletedRows);
  }
}
