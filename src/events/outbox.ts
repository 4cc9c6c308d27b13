import type { Kysely } from 'kysely';
import { newOrderedId } from '../crypto/ids.js';
import type { Database } from '../storage/schema.js';
import type { OutboxTable } from './tables.js';
import type { EventBus } from './bus.js';
import type { DomainEvent, DomainEvents } from './types.js';

/**
 * The domain events that leave the process (as webhooks). Each is written to the outbox in the
 * transaction of the change it reports: nothing committed goes unannounced, nothing rolled back
 * is announced. Payloads are ids and facts only, as the event schema already guarantees.
 */
export const OUTBOUND_EVENT_TYPES = [
  'user.converted',
  'user.merged',
  'user.deleted',
  'user.culled',
  'session.revoked',
  'alert.raised',
  'client.secret_rotated',
] as const;

export type OutboundEventName = (typeof OUTBOUND_EVENT_TYPES)[number];
export type OutboundEvent = Extract<DomainEvent, { type: OutboundEventName }>;

/** One row of `outbox_events`, as the webhooks feature reads it. */
export interface OutboxEntry {
  /** Also the webhook message id: a receiver deduplicates on it. */
  id: string;
  event: OutboundEvent;
  /** Events with the same key are delivered in the order they were written (the user they are about). */
  orderKey: string | null;
  createdAt: number;
}

/** Events about one person keep their order: the user they are about, else the client. */
export function orderKeyOf(event: OutboundEvent): string | null {
  if (event.type === 'user.merged') return event.account_id;
  return event.subject ?? event.client_id ?? null;
}

/** Events staged in a transaction, announced after it commits. */
export class StagedEvents {
  private announced = false;

  constructor(
    private readonly bus: EventBus,
    private readonly events: readonly OutboundEvent[],
    private readonly onCommitted: () => void,
  ) {}

  /** After the commit: emits each event on the bus and wakes the dispatcher. Later calls do nothing. */
  announce(): void {
    if (this.announced) return;
    this.announced = true;
    for (const event of this.events) {
      const { type, ...payload } = event;
      this.bus.emit(type, payload as DomainEvents[typeof type]);
    }
    if (this.events.length > 0) this.onCommitted();
  }
}

export interface OutboxDeps {
  events: EventBus;
  now: () => number;
}

/**
 * The base layer's outbox: features stage outbound events through their own transaction, and
 * the webhooks feature reads, dispatches and purges them. It owns `outbox_events`.
 */
export class Outbox {
  private readonly wakers = new Set<() => void>();

  constructor(private readonly deps: OutboxDeps) {}

  /**
   * Writes the events through `trx`, the caller's transaction. Call `announce()` on the result
   * once the transaction has committed; a rolled-back transaction is simply never announced.
   */
  async stage(trx: Kysely<Database>, events: readonly OutboundEvent[]): Promise<StagedEvents> {
    if (events.length > 0) {
      const createdAt = this.deps.now();
      await trx
        .insertInto('outbox_events')
        .values(
          events.map((event) => ({
            id: newOrderedId(),
            type: event.type,
            payload: JSON.stringify(event),
            order_key: orderKeyOf(event),
            created_at: createdAt,
            dispatched_at: null,
          })),
        )
        .execute();
    }
    return new StagedEvents(this.deps.events, events, () => this.wake());
  }

  /** The dispatcher's wake-up call after a commit here (other nodes find rows by polling). */
  onCommitted(listener: () => void): () => void {
    this.wakers.add(listener);
    return () => this.wakers.delete(listener);
  }

  /**
   * Undispatched rows, oldest first. With `skipLocked` (PostgreSQL, inside the dispatcher's
   * transaction) the rows are locked and rows another node holds are passed over.
   */
  async pending(db: Kysely<Database>, limit: number, { skipLocked = false } = {}): Promise<OutboxEntry[]> {
    let query = db.selectFrom('outbox_events').selectAll().where('dispatched_at', 'is', null).orderBy('id').limit(limit);
    if (skipLocked) query = query.forUpdate().skipLocked();
    return (await query.execute()).map(entryOf);
  }

  /** Marks rows dispatched, through the dispatcher's transaction. */
  async markDispatched(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await db.updateTable('outbox_events').set({ dispatched_at: this.deps.now() }).where('id', 'in', ids).execute();
  }

  /** Deletes dispatched rows older than `before`, at most `limit`; returns how many. */
  async purgeDispatched(db: Kysely<Database>, before: number, limit: number): Promise<number> {
    const ids = db.selectFrom('outbox_events').select('id').where('dispatched_at', '<', before).limit(limit);
    const result = await db.deleteFrom('outbox_events').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private wake(): void {
    for (const waker of this.wakers) waker();
  }
}

function entryOf(row: OutboxTable): OutboxEntry {
  return { id: row.id, event: JSON.parse(row.payload) as OutboundEvent, orderKey: row.order_key, createdAt: Number(row.created_at) };
}
