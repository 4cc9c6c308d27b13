import { newOrderedId } from '../crypto/ids.js';
import type { EventBus } from '../events/bus.js';
import type { DomainEvent } from '../events/types.js';
import { GroupCommit } from '../shared/group-commit.js';
import type { AuditLogTable } from './tables.js';
import type { AuditStore } from './store.js';

/** A group this large is written at once instead of waiting out the flush interval. */
export const AUDIT_MAX_GROUP = 500;

export interface AuditRecorderOptions {
  store: Pick<AuditStore, 'append'>;
  events: EventBus;
  /** How long the first event of a group waits for others (GUESTPASS_AUDIT_FLUSH_INTERVAL). */
  flushIntervalMs: number;
  /** Events held while writes fail; more are dropped (GUESTPASS_AUDIT_BUFFER). */
  maxBuffered: number;
  /** After each successful write: rows written, seconds it took. */
  onFlush?: (rows: number, seconds: number) => void;
  /** Events dropped: the buffer was full, or the last write at shutdown failed. */
  onDropped?: (count: number, why: 'buffer_full' | 'shutdown') => void;
  onError?: (error: unknown, what: string) => void;
}

/**
 * Appends every domain event to the log without making any request wait: an event is turned
 * into its row at once (its id drawn now, so the log keeps the order this node heard events in,
 * which is the order its detectors saw them) and written with the others of its group in one
 * transaction. A write that fails is retried before anything newer; while the database is
 * down, events wait in memory up to `maxBuffered`, and past that they are dropped and counted.
 */
export class AuditRecorder {
  private readonly group: GroupCommit<AuditLogTable>;
  private readonly unsubscribe: () => void;
  private closing = false;
  /** Set while writes fail: an outage is logged once, not on every retry. */
  private failing = false;

  constructor(private readonly options: AuditRecorderOptions) {
    this.group = new GroupCommit({ intervalMs: options.flushIntervalMs, maxGroupSize: AUDIT_MAX_GROUP, commit: (rows) => this.write(rows) });
    this.unsubscribe = options.events.onAny((event) => this.record(event));
  }

  /** Writes what is buffered now (tests, and a read that must see this node's last events). */
  flush(): Promise<void> {
    return this.group.drain();
  }

  /** Stops listening and writes what is left, once; what that write cannot store is dropped and counted. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.closing = true;
    await this.group.drain();
  }

  private record(event: DomainEvent): void {
    if (this.closing) return;
    if (this.group.queued >= this.options.maxBuffered) {
      this.options.onDropped?.(1, 'buffer_full');
      return;
    }
    this.group.add(rowOf(event));
  }

  private async write(rows: AuditLogTable[]): Promise<void> {
    const started = performance.now();
    try {
      await this.options.store.append(rows);
      this.failing = false;
      this.options.onFlush?.(rows.length, (performance.now() - started) / 1000);
    } catch (error) {
      if (!this.failing || this.closing) this.options.onError?.(error, `writing ${rows.length} events to the audit log (retried until it succeeds)`);
      this.failing = true;
      if (this.closing) this.options.onDropped?.(rows.length, 'shutdown');
      else this.group.requeue(rows);
    }
  }
}

/** The event's row: its replay line as the bus emitted it, and the columns the API filters on. */
export function rowOf(event: DomainEvent): AuditLogTable {
  return { id: newOrderedId(), type: event.type, subject: event.subject ?? null, time: event.time, event: JSON.stringify(event) };
}
