import { type Kysely, type Selectable, sql } from 'kysely';
import { newId, newOrderedId } from '../crypto/ids.js';
import type { Outbox } from '../events/outbox.js';
import type { Dialect } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { endpointOf, endpointWants } from './endpoint-store.js';
import { webhookBody } from './payload.js';
import type { WebhookAttemptsTable, WebhookMessagesTable } from './tables.js';
import type { MessageStatus, WebhookAttempt, WebhookMessage } from './types.js';

type MessageRow = Selectable<WebhookMessagesTable>;

function messageOf(row: MessageRow): WebhookMessage {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    type: row.type,
    body: row.body,
    orderKey: row.order_key,
    status: row.status,
    attemptCount: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function attemptOf(row: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    attemptedAt: Number(row.attempted_at),
    outcome: row.outcome,
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    responseBody: row.response_body,
    error: row.error,
    latencyMs: Number(row.latency_ms),
  };
}

/** What one attempt left: recorded with the message's next state in one transaction. */
export interface AttemptRecord extends WebhookAttempt {
  messageId: string;
  endpointId: string;
  /** The message's state after it. */
  next: { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; at: number };
}

export interface MessageStoreOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  outbox: Outbox;
  now: () => number;
}

/**
 * Messages and attempts. Claiming is one statement on both dialects, so two workers never
 * claim the same message: on PostgreSQL the candidate rows are locked with FOR UPDATE SKIP
 * LOCKED (another node's candidates are passed over, not waited for); on SQLite, where one
 * process delivers, the conditional UPDATE itself is the claim. A claim is a lease
 * (`claimed_until`): a node that crashes mid-delivery loses it, and the message is sent again.
 */
export class MessageStore {
  private readonly db: Kysely<Database>;

  constructor(private readonly options: MessageStoreOptions) {
    this.db = options.db;
  }

  /**
   * Fans out up to `limit` outbox rows: one message per row and enabled endpoint that wants it,
   * written in the transaction that marks the rows dispatched. Returns how many rows it took.
   */
  async fanOut(limit: number): Promise<number> {
    const { outbox, dialect, now } = this.options;
    return this.db.transaction().execute(async (trx) => {
      const entries = await outbox.pending(trx, limit, { skipLocked: dialect === 'postgres' });
      if (entries.length === 0) return 0;
      const endpoints = (await trx.selectFrom('webhook_endpoints').selectAll().where('enabled', '=', 1).execute()).map(endpointOf);
      const at = now();
      const rows: MessageRow[] = [];
      for (const { id, event, orderKey } of entries) {
        const wanting = endpoints.filter((endpoint) => endpointWants(endpoint, event.type, event.client_id));
        if (wanting.length === 0) continue;
        const body = webhookBody(event);
        for (const endpoint of wanting) {
          rows.push({
            id: newOrderedId(),
            endpoint_id: endpoint.id,
            event_id: id,
            type: event.type,
            body,
            order_key: orderKey,
            status: 'pending',
            attempts: 0,
            next_attempt_at: at,
            claimed_until: null,
            created_at: at,
            finished_at: null,
          });
        }
      }
      for (let start = 0; start < rows.length; start += 100) {
        await trx
          .insertInto('webhook_messages')
          .values(rows.slice(start, start + 100))
          .execute();
      }
      await outbox.markDispatched(
        trx,
        entries.map((entry) => entry.id),
      );
      return entries.length;
    });
  }

  /**
   * Claims up to `limit` due messages of enabled endpoints for `leaseMs`. A message waits while
   * an older message with the same order key for the same endpoint is still pending: events
   * about one user reach each endpoint in the order they happened, retries included.
   */
  async claim(limit: number, leaseMs: number): Promise<WebhookMessage[]> {
    const at = this.options.now();
    let candidates = this.db
      .selectFrom('webhook_messages as m')
      .select('m.id')
      .where('m.status', '=', 'pending')
      .where('m.next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('m.claimed_until', 'is', null), eb('m.claimed_until', '<', at)]))
      .where((eb) => eb.exists(eb.selectFrom('webhook_endpoints as e').select('e.id').whereRef('e.id', '=', 'm.endpoint_id').where('e.enabled', '=', 1)))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_messages as o')
              .select('o.id')
              .whereRef('o.endpoint_id', '=', 'm.endpoint_id')
              .whereRef('o.order_key', '=', 'm.order_key')
              .where('o.status', '=', 'pending')
              .whereRef('o.event_id', '<', 'm.event_id'),
          ),
        ),
      )
      .orderBy('m.next_attempt_at')
      .orderBy('m.event_id')
      .limit(limit);
    if (this.options.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('webhook_messages')
      .set({ claimed_until: at + leaseMs })
      .where('id', 'in', candidates)
      // Re-checked on the locked row: a claim committed by another node after our snapshot wins.
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
      .returningAll()
      .execute();
    return rows.map(messageOf).sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  }

  /**
   * Records attempts and their messages' next states in one transaction (one fsync for a group
   * of deliveries), and keeps each endpoint's failure clock. Returns, per attempt, the endpoint's
   * `failing_since` after it (null once it succeeded).
   */
  async record(group: readonly AttemptRecord[]): Promise<(number | null)[]> {
    if (group.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      // An endpoint deleted while its messages were in flight took them along: their attempts
      // are dropped, not allowed to fail the whole group. Locked so no delete comes in between.
      let existing = trx
        .selectFrom('webhook_messages')
        .select('id')
        .where(
          'id',
          'in',
          group.map((attempt) => attempt.messageId),
        );
      if (this.options.dialect === 'postgres') existing = existing.forUpdate();
      const kept = new Set((await existing.execute()).map((row) => row.id));
      const attempts = group.filter((attempt) => kept.has(attempt.messageId));
      if (attempts.length === 0) return group.map(() => null);
      await trx
        .insertInto('webhook_attempts')
        .values(
          attempts.map((attempt) => ({
            id: newId(),
            message_id: attempt.messageId,
            endpoint_id: attempt.endpointId,
            attempted_at: attempt.attemptedAt,
            outcome: attempt.outcome,
            response_status: attempt.responseStatus,
            response_body: attempt.responseBody,
            error: attempt.error,
            latency_ms: attempt.latencyMs,
          })),
        )
        .execute();
      // Messages that ended share one statement per outcome; a retry keeps its own due time.
      const at = this.options.now();
      for (const status of ['delivered', 'failed'] as const) {
        const ids = attempts.filter((attempt) => attempt.next.status === status).map((attempt) => attempt.messageId);
        if (ids.length === 0) continue;
        await trx
          .updateTable('webhook_messages')
          .set({ status, attempts: sql<number>`attempts + 1`, claimed_until: null, finished_at: at })
          .where('id', 'in', ids)
          .execute();
      }
      for (const { messageId, next } of attempts) {
        if (next.status !== 'pending') continue;
        await trx
          .updateTable('webhook_messages')
          .set({ status: 'pending', attempts: sql<number>`attempts + 1`, next_attempt_at: next.at, claimed_until: null, finished_at: null })
          .where('id', '=', messageId)
          .execute();
      }
      // Each endpoint's failure clock, from its attempts in this group in the order they ended.
      // Endpoint rows are shared by every node: they are written only when the clock changes,
      // and in id order, so two nodes' groups never wait on each other in a cycle (a deadlock
      // would lose a group's records and have its messages sent again when their claims lapse).
      const failingSince = new Map<string, number | null>();
      for (const endpointId of [...new Set(attempts.map((attempt) => attempt.endpointId))].sort()) {
        const own = attempts.filter((attempt) => attempt.endpointId === endpointId);
        const lastSuccess = own.findLastIndex((attempt) => attempt.outcome === 'succeeded');
        const firstFailureAfter = own.slice(lastSuccess + 1)[0]?.attemptedAt;
        const endpoints = trx.updateTable('webhook_endpoints').where('id', '=', endpointId);
        if (firstFailureAfter === undefined) {
          await endpoints.set({ failing_since: null }).where('failing_since', 'is not', null).execute();
          failingSince.set(endpointId, null);
          continue;
        }
        if (lastSuccess >= 0) await endpoints.set({ failing_since: firstFailureAfter }).execute();
        else await endpoints.set({ failing_since: firstFailureAfter }).where('failing_since', 'is', null).execute();
        const row = await trx.selectFrom('webhook_endpoints').select('failing_since').where('id', '=', endpointId).executeTakeFirst();
        failingSince.set(endpointId, row?.failing_since === null || row?.failing_since === undefined ? null : Number(row.failing_since));
      }
      return group.map((attempt) => failingSince.get(attempt.endpointId) ?? null);
    });
  }

  /** Disables an endpoint that keeps failing; true if this call did (another node may have first). */
  async disableFailing(endpointId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_endpoints')
      .set({ enabled: 0, disabled_reason: 'failing', updated_at: this.options.now() })
      .where('id', '=', endpointId)
      .where('enabled', '=', 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async message(endpointId: string, id: string): Promise<WebhookMessage | undefined> {
    const row = await this.db.selectFrom('webhook_messages').selectAll().where('endpoint_id', '=', endpointId).where('id', '=', id).executeTakeFirst();
    return row && messageOf(row);
  }

  /**
   * An endpoint's messages, newest event first, `limit` after the event `before` (a cursor).
   * Ordered by event id: outbox ids follow the order events were written.
   */
  async list(endpointId: string, { status, before, limit }: { status?: MessageStatus; before?: string; limit: number }): Promise<WebhookMessage[]> {
    let query = this.db.selectFrom('webhook_messages').selectAll().where('endpoint_id', '=', endpointId);
    if (status) query = query.where('status', '=', status);
    if (before) query = query.where('event_id', '<', before);
    return (await query.orderBy('event_id', 'desc').limit(limit).execute()).map(messageOf);
  }

  async attempts(messageIds: readonly string[]): Promise<Map<string, WebhookAttempt[]>> {
    const byMessage = new Map<string, WebhookAttempt[]>(messageIds.map((id) => [id, []]));
    if (messageIds.length === 0) return byMessage;
    const rows = await this.db.selectFrom('webhook_attempts').selectAll().where('message_id', 'in', messageIds).orderBy('attempted_at').orderBy('id').execute();
    for (const row of rows) byMessage.get(row.message_id)?.push(attemptOf(row));
    return byMessage;
  }

  /** Sends a message again from the start of the schedule, whatever its state. */
  async retry(endpointId: string, id: string): Promise<WebhookMessage | undefined> {
    const row = await this.db
      .updateTable('webhook_messages')
      .set({ status: 'pending', attempts: 0, next_attempt_at: this.options.now(), finished_at: null })
      .where('endpoint_id', '=', endpointId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && messageOf(row);
  }

  /** Messages still to send, and outbox rows not yet fanned out: the queue-depth gauge. */
  async depth(): Promise<{ messages: number; outbox: number }> {
    const [messages, outbox] = await Promise.all([
      this.db
        .selectFrom('webhook_messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'pending')
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('outbox_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('dispatched_at', 'is', null)
        .executeTakeFirstOrThrow(),
    ]);
    return { messages: Number(messages.n), outbox: Number(outbox.n) };
  }

  /** Deletes messages (and their attempts) that ended before `before`, at most `limit`; returns how many. */
  async purgeFinished(before: number, limit: number): Promise<number> {
    const ids = (await this.db.selectFrom('webhook_messages').select('id').where('finished_at', '<', before).limit(limit).execute()).map((row) => row.id);
    if (ids.length === 0) return 0;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_attempts').where('message_id', 'in', ids).execute();
      await trx.deleteFrom('webhook_messages').where('id', 'in', ids).execute();
    });
    return ids.length;
  }
}
