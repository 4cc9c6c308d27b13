import type { Kysely } from 'kysely';
import type { EventBus } from '../events/bus.js';
import type { Database } from '../storage/schema.js';
import type { Store } from '../storage/database.js';
import { auditError } from './error-codes.js';
import { AuditRecorder, type AuditRecorderOptions } from './recorder.js';
import { type AuditOrder, AuditStore } from './store.js';

/** Rows the retention purge deletes per statement. */
const PURGE_BATCH = 1000;
/** Rows per page of an export: its memory is one page, whatever the range. */
const EXPORT_PAGE = 1000;

export interface AuditPageQuery {
  type?: string;
  subject?: string;
  since?: number;
  until?: number;
  /** next_cursor of the previous page. */
  cursor?: string;
  limit: number;
  order: AuditOrder;
}

export interface AuditPage {
  /** The events as they were emitted and stored (the replay format). */
  events: unknown[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export interface AuditServiceOptions {
  store: Store;
  events: EventBus;
  now: () => number;
  /** GUESTPASS_AUDIT_LOG: off, nothing is recorded (reads and the purge still work). */
  record: boolean;
  /** GUESTPASS_AUDIT_RETENTION, in ms. */
  retentionMs: number;
  flushIntervalMs: number;
  maxBuffered: number;
  onFlush?: AuditRecorderOptions['onFlush'];
  onDropped?: AuditRecorderOptions['onDropped'];
  onError?: AuditRecorderOptions['onError'];
}

/** The cursor is the last row's id, base64url: opaque to clients, stable while events arrive. */
function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : undefined;
}

/**
 * The domain-event log: recording (recorder.ts), the admin API's pages, the export for
 * `guestpass detect --replay`, and retention.
 */
export class AuditService {
  private readonly store: AuditStore;
  private readonly recorder: AuditRecorder | undefined;

  constructor(private readonly options: AuditServiceOptions) {
    this.store = new AuditStore(options.store.db);
    if (options.record) {
      const { onFlush, onDropped, onError } = options;
      this.recorder = new AuditRecorder({
        store: this.store,
        events: options.events,
        flushIntervalMs: options.flushIntervalMs,
        maxBuffered: options.maxBuffered,
        ...(onFlush ? { onFlush } : {}),
        ...(onDropped ? { onDropped } : {}),
        ...(onError ? { onError } : {}),
      });
    }
  }

  /** One page of events, newest or oldest first by the order they were heard in. */
  async page(query: AuditPageQuery): Promise<AuditPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined)
      throw auditError('AUDIT_INVALID_QUERY', 'cursor is not one this server gave out; pass next_cursor from the previous page unchanged.');
    // This node's last events too; other nodes' are at most one flush interval behind.
    await this.flush().catch(() => {});
    const { cursor: _, ...filters } = query;
    const rows = await this.store.page({ ...filters, ...(after !== undefined ? { after } : {}) });
    const last = rows.at(-1);
    return {
      events: rows.map((row) => JSON.parse(row.line) as unknown),
      next_cursor: rows.length === query.limit && last ? encodeCursor(last.id) : null,
    };
  }

  /**
   * Every event in the range, oldest first, one replay line at a time, read a page at a time:
   * memory holds one page whatever the range (for `guestpass events export`).
   */
  async *export(query: { type?: string; since?: number; until?: number }): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.store.page({ ...query, ...(after !== undefined ? { after } : {}), limit: EXPORT_PAGE, order: 'oldest' });
      for (const row of rows) yield row.line;
      if (rows.length < EXPORT_PAGE) return;
      after = rows.at(-1)!.id;
    }
  }

  /** Deletes events older than the retention, in batches; returns how many. */
  async purgeExpired(now = this.options.now()): Promise<number> {
    const cutoff = now - this.options.retentionMs;
    let purged = 0;
    for (;;) {
      const batch = await this.store.purgeBefore(cutoff, PURGE_BATCH);
      purged += batch;
      if (batch < PURGE_BATCH) return purged;
    }
  }

  /**
   * Deletes the logged events about a person, through the erasure's transaction; call
   * `flush()` before it so this node's buffered events are among them. Returns how many.
   */
  erasePerson(person: { userIds: readonly string[]; sessionIds: readonly string[] }, trx: Kysely<Database>): Promise<number> {
    return this.store.eraseNaming(person.userIds, person.sessionIds, trx);
  }

  /** Writes what this node has buffered. */
  async flush(): Promise<void> {
    await this.recorder?.flush();
  }

  /** Stops recording and writes what is left; the database must still be open. */
  async close(): Promise<void> {
    await this.recorder?.close();
  }
}
