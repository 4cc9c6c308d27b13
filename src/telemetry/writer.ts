import { GroupCommit } from '../shared/group-commit.js';
import type { RollupInput } from './rollup.js';
import { eventKey } from './event-columns.js';
import { EventsAlreadyStored, type EventRow, type TelemetryStore } from './store.js';

/** One event on its way to the store: its row, and the numbers its rollup needs. */
export interface PendingEvent {
  row: EventRow;
  metrics: Record<string, number>;
}

/**
 * After a group found an event already stored, this many groups are written without assuming
 * their events new: a client resending batches then costs one failed insert per this many
 * groups, not one per group.
 */
const CAUTIOUS_GROUPS = 20;

interface Waiting {
  events: PendingEvent[];
  resolve: (inserted: Set<string>) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitWriterOptions {
  store: TelemetryStore;
  /** How long the first batch of a group waits for others to join it. */
  intervalMs: number;
  /** A group this large commits at once instead of waiting out the interval. @default 5000 */
  maxGroupEvents?: number;
  /** Groups committing at once, each in its own transaction (shared/group-commit.ts). @default 1 */
  concurrency?: number;
  now?: () => number;
  /** Called after each commit: events in it, requests in it, seconds it took. */
  onCommit?: (events: number, requests: number, seconds: number) => void;
}

/**
 * Group commit (shared/group-commit.ts): batches from concurrent requests are written in one
 * transaction every few milliseconds, and each request's promise settles only when that
 * transaction has committed and its WAL is flushed, so a 2xx always means stored. One commit
 * and one flush then serve every request of the group instead of one each, and the
 * statements of a group are a few multi-row inserts instead of one per request.
 */
export class GroupCommitWriter {
  private readonly group: GroupCommit<Waiting>;
  private closed = false;
  private readonly store: TelemetryStore;
  private readonly now: () => number;
  private readonly onCommit: GroupCommitWriterOptions['onCommit'];
  /** Groups still to write without assuming their events new (CAUTIOUS_GROUPS). */
  private cautious = 0;

  constructor({ store, intervalMs, maxGroupEvents = 5000, concurrency = 1, now = Date.now, onCommit }: GroupCommitWriterOptions) {
    this.store = store;
    this.now = now;
    this.onCommit = onCommit;
    this.group = new GroupCommit({
      intervalMs,
      maxGroupSize: maxGroupEvents,
      concurrency,
      sizeOf: (waiting) => waiting.events.length,
      commit: (group) => this.commitGroup(group),
    });
  }

  /** Stores `events` (one request's); resolves with the event ids that were new, after commit. */
  write(events: PendingEvent[]): Promise<Set<string>> {
    if (this.closed) return Promise.reject(new Error('the telemetry writer is closed'));
    if (events.length === 0) return Promise.resolve(new Set());
    return new Promise<Set<string>>((resolve, reject) => this.group.add({ events, resolve, reject }));
  }

  /** Commits what is queued and refuses new writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.group.drain();
  }

  private async commitGroup(group: Waiting[]): Promise<void> {
    const started = performance.now();
    try {
      const results = await this.writeAssumingNew(group);
      for (const [index, waiting] of group.entries()) waiting.resolve(results[index]!);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
      } else {
        // One request's rows must not fail the others: retry each in its own transaction,
        // so only the batch that really fails gets the error (and a 5xx, nothing stored).
        for (const waiting of group) {
          await this.transaction([waiting]).then(
            ([inserted]) => waiting.resolve(inserted!),
            (failure: unknown) => waiting.reject(failure),
          );
        }
      }
    }
    this.onCommit?.(
      group.reduce((sum, waiting) => sum + waiting.events.length, 0),
      group.length,
      (performance.now() - started) / 1000,
    );
  }

  /**
   * Events are nearly always new (a duplicate is a batch sent again), so on PostgreSQL a group
   * is first written assuming so, in one statement (store.ts, insertNewGroup). If one was
   * stored already, nothing of that try was stored, and the group is written again in a
   * transaction that asks which rows are new.
   */
  private async writeAssumingNew(group: Waiting[]): Promise<Set<string>[]> {
    if (this.store.dialect !== 'postgres') return this.transaction(group);
    if (this.cautious > 0) {
      this.cautious -= 1;
      return this.transaction(group);
    }
    const { rows, owner } = firstOwners(group);
    const { results, fresh } = credit(group, owner, () => true);
    try {
      await this.store.insertNewGroup(rows, fresh, this.now());
      return results;
    } catch (error) {
      if (!(error instanceof EventsAlreadyStored)) throw error;
      this.cautious = CAUTIOUS_GROUPS;
      return this.transaction(group);
    }
  }

  /**
   * One transaction for the group: the rows of every request in shared INSERT statements (an
   * id repeated by a later request of the group is that request's duplicate), then the
   * rollups and user days of what was new. Resolves with each request's new event ids.
   */
  private transaction(group: Waiting[]): Promise<Set<string>[]> {
    return this.store.db.transaction().execute(async (trx) => {
      const { rows, owner } = firstOwners(group);
      const inserted = await this.store.insertEvents(trx, rows);
      const { results, fresh } = credit(group, owner, (key) => inserted.has(key));
      await this.store.addToAggregates(trx, fresh, this.now());
      return results;
    });
  }
}

/** The group's rows, each id once, and which request (by index) an id belongs to: the first that sent it. */
function firstOwners(group: Waiting[]): { rows: EventRow[]; owner: Map<string, number> } {
  const owner = new Map<string, number>();
  const rows: EventRow[] = [];
  group.forEach(({ events }, index) => {
    for (const { row } of events) {
      const key = eventKey(row);
      if (owner.has(key)) continue;
      owner.set(key, index);
      rows.push(row);
    }
  });
  return { rows, owner };
}

/**
 * Each request's new event ids, and the rollup inputs of every new event: an event is new to
 * the request that owns it (firstOwners) when `isNew` says its key was stored by this write.
 */
function credit(group: Waiting[], owner: Map<string, number>, isNew: (key: string) => boolean): { results: Set<string>[]; fresh: RollupInput[] } {
  const results = group.map(() => new Set<string>());
  const fresh: RollupInput[] = [];
  group.forEach(({ events }, index) => {
    for (const { row, metrics } of events) {
      const key = eventKey(row);
      if (owner.get(key) !== index || !isNew(key)) continue;
      results[index]!.add(row.event_id);
      fresh.push(rollupInput(row, metrics));
    }
  });
  return { results, fresh };
}

function rollupInput(row: EventRow, metrics: Record<string, number>): RollupInput {
  return {
    ts: row.ts,
    client_id: row.client_id,
    name: row.name,
    app_version: row.app_version,
    deployment: row.deployment,
    origin: row.origin,
    is_anonymous: row.is_anonymous,
    country: row.country,
    user_id: row.user_id,
    session_id: row.session_id ?? null,
    has_error: row.error_type != null,
    metrics,
  };
}
