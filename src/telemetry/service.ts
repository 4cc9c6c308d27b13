import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../shared/metrics.js';
import { networkField } from '../shared/network.js';
import type { Client } from '../clients/index.js';
import type { EventBus } from '../events/bus.js';
import type { AccessTokenClaims } from '../oauth/index.js';
import type { Store } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { countryResolverFor, type CountryResolver } from './country.js';
import { eraseEvents, type ErasureResult } from './erasure.js';
import { telemetryError } from './error-codes.js';
import { eventView, type EventView } from './event-view.js';
import type { TelemetryConfig } from './options.js';
import { prepareBatch, type PreparedBatch, type Rejection } from './ingest.js';
import { EventLimiter } from './limits.js';
import type { EventLimitRefusal, EventLimitRule, SharedEventLimits } from './shared-limits.js';
import { PRIVACY_REASONS } from './privacy/index.js';
import { TelemetryQueries } from './query-store.js';
import { EventPartitions } from './partitions.js';
import { TelemetryStore } from './store.js';
import { GroupCommitWriter } from './writer.js';

const PURGE_INTERVAL_MS = 10 * 60_000;
const FIRST_PURGE_MS = 60_000;
/**
 * Telemetry groups committing at once on PostgreSQL, each on its own pooled connection. A
 * group's commit is mostly waiting (round trips, the WAL flush): with one at a time, events
 * queued meanwhile waited for all of it; with two, the next group starts while one waits.
 * Events commit correctly in any order (store.ts: duplicates conflict, rollups append). SQLite
 * has one connection, so one group at a time.
 */
const POSTGRES_COMMIT_CONCURRENCY = 2;

export interface TelemetryServiceOptions {
  store: Store;
  config: TelemetryConfig;
  metrics: Metrics;
  events: EventBus;
  now: () => number;
  /** Replaces the resolver GUESTPASS_TELEMETRY_COUNTRY_DB names (e.g. the anomaly feature's shared one). */
  country?: CountryResolver;
  logger?: Pick<Logger, 'error'>;
  /** Anomaly containment: a quarantined session's events are kept but tagged, so analytics can leave them out. */
  isQuarantined?: (sessionId: string) => boolean;
  /**
   * Limits shared by every node (Redis). When they cannot answer, this node's own limiter
   * counts alone (fail open: analytics must not break a page, and each node still caps its
   * share); `onSharedLimitFailure` is told each time.
   */
  sharedLimits?: SharedEventLimits;
  onSharedLimitFailure?: (error: unknown) => void;
}

/** One request to POST /v1/events, as the route hands it over. */
export interface IngestInput {
  claims: AccessTokenClaims;
  client: Client;
  items: readonly unknown[];
  /** Host of the Origin header, or ''. */
  origin: string;
  /** Used for the country and the network prefix of the domain event; never stored. */
  ip: string;
}

/** The 202 body: what was accepted, dropped or refused, per item. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/**
 * Telemetry: ingestion (limits → validation → privacy pipeline → group commit), analytics
 * reads, erasure and retention. Owns a purge timer and the writer; `close()` stops both after
 * committing what is queued.
 */
export class TelemetryService {
  readonly queries: TelemetryQueries;
  private readonly store: TelemetryStore;
  private readonly writer: GroupCommitWriter;
  private readonly limiter: EventLimiter;
  private readonly country: CountryResolver;
  private countryReady: Promise<void> | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<unknown> | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<unknown> | undefined;
  /** PostgreSQL only: the time partitions of `events` (migration 0015). */
  private readonly partitions: EventPartitions | undefined;
  private preparing: Promise<unknown> | undefined;
  private closed = false;
  private readonly options: TelemetryServiceOptions;

  constructor(options: TelemetryServiceOptions) {
    this.options = options;
    const { store, config, metrics, now } = options;
    this.store = new TelemetryStore(store.db, store.dialect);
    this.queries = new TelemetryQueries(store.db);
    this.writer = new GroupCommitWriter({
      store: this.store,
      intervalMs: config.telemetryCommitInterval * 1000,
      concurrency: store.dialect === 'postgres' ? POSTGRES_COMMIT_CONCURRENCY : 1,
      now,
      onCommit: (_events, _requests, seconds) => metrics.telemetryCommits.observe(seconds),
    });
    this.limiter = new EventLimiter({ now });
    this.country = options.country ?? countryResolverFor(config.telemetryCountryDb);
    // Counters start at zero for every step and reason, so a dashboard sees them before the first hit.
    for (const [step, reasons] of Object.entries(PRIVACY_REASONS)) {
      for (const reason of reasons) {
        metrics.telemetryDropped.inc({ step, reason }, 0);
        metrics.telemetryRedactions.inc({ step, reason }, 0);
      }
    }
    if (store.dialect === 'postgres') {
      this.partitions = new EventPartitions(store.db);
      // At start-up, not only with the first purge: a fresh database has only the default partition.
      this.preparing = this.ensurePartitions(now()).catch((error: unknown) =>
        this.options.logger?.error({ err: error }, 'telemetry partitions could not be made; events go to the default partition meanwhile'),
      );
    }
    this.schedulePurge(FIRST_PURGE_MS);
    if (config.telemetryCompactInterval > 0) this.scheduleCompaction();
  }

  /** Stores a batch; resolves after the commit with what was accepted, repeated and rejected. */
  async ingest(input: IngestInput): Promise<IngestResult> {
    const { claims, client, items } = input;
    // Until the start-up partitions exist, events would land in the default partition, and
    // moving them out while inserts continue is what attaching a partition cannot do safely.
    await this.preparing;
    await this.enforceLimits(claims, items.length);
    const now = this.options.now();
    const batch = prepareBatch(
      items,
      {
        clientId: client.id,
        userId: claims.sub,
        sessionId: claims.sid ?? null,
        isAnonymous: claims.is_anonymous === true,
        origin: input.origin,
        country: await this.countryOf(input.ip),
        receivedAt: now,
        quarantined: claims.sid !== undefined && this.options.isQuarantined?.(claims.sid) === true,
      },
      client.guest.telemetry ?? {},
    );
    const inserted = await this.writer.write(batch.pending);
    const result = { accepted: inserted.size, duplicates: batch.pending.length - inserted.size + batch.repeats, rejected: batch.rejected };
    this.count(batch, result);
    this.options.events.emit('telemetry.ingested', {
      time: now,
      client_id: client.id,
      subject: claims.sub,
      // A client_credentials token has no session; its subject stands in for one.
      session_id: claims.sid ?? claims.sub,
      accepted: result.accepted,
      rejected: result.rejected.length,
      ts_span_s: tsSpanSeconds(batch.pending),
      ...networkField(input.ip),
    });
    return result;
  }

  /** Erases a person's events and its merged guests' (DELETE /admin/api/users/:id/events). */
  async erase(userId: string): Promise<ErasureResult & { userIds: string[] }> {
    const userIds = await this.queries.identitiesOf(userId);
    return { ...(await eraseEvents(this.store, userIds, this.options.now())), userIds };
  }

  /**
   * Erases the events of exactly these ids (a person and the guests merged into it, as the
   * erasure orchestrator found them) in its own transaction, rollups rebuilt. Idempotent.
   */
  eraseEventsOf(userIds: string[]): Promise<ErasureResult> {
    return eraseEvents(this.store, userIds, this.options.now());
  }

  /** A person's stored events for their export: the newest `limit`, and how many there are in all. */
  async exportEventsOf(userIds: string[], limit: number): Promise<{ total: number; events: EventView[] }> {
    const [total, rows] = await Promise.all([this.queries.countUserEvents(userIds), this.queries.userEvents(userIds, limit)]);
    return { total, events: rows.map(eventView) };
  }

  /**
   * Deletes the events and user days of culled guests in the cull's transaction `db`; rollups
   * stay (sessions/cull.ts, unless GUESTPASS_CULL_TELEMETRY=keep). Returns the events deleted.
   */
  forgetUsers(userIds: readonly string[], db: Kysely<Database>): Promise<number> {
    return this.store.deleteOfUsers(db, userIds);
  }

  /**
   * Deletes events, rollups and user days older than the retention period; returns the events
   * deleted. On PostgreSQL it first makes the partitions coming events need, then drops the
   * partitions wholly past the retention; the rows purge then deletes what is left (events of
   * the partly expired partition and of the default one), so none outlives the retention.
   */
  async purgeExpired(now = this.options.now()): Promise<number> {
    const cutoff = now - this.options.config.telemetryRetention * 1000;
    let dropped = 0;
    if (this.partitions) {
      await this.ensurePartitions(now).catch((error: unknown) => this.options.logger?.error({ err: error }, 'telemetry partitions could not be made'));
      dropped = (await this.partitions.dropBefore(cutoff)).events;
    }
    return dropped + (await this.store.purgeBefore(cutoff));
  }

  /** PostgreSQL: makes the partitions events arriving from `now` on need; returns their names (none on SQLite). */
  async ensurePartitions(now = this.options.now()): Promise<string[]> {
    return (await this.partitions?.ensure(now, this.options.config.telemetryRetention * 1000)) ?? [];
  }

  /** Merges every key's appended rollup rows into one row; returns the rows folded in. */
  async compactRollups(): Promise<number> {
    const batch = 5000;
    let folded = 0;
    for (;;) {
      const count = await this.store.compactRollups(this.options.now(), { maxRows: batch });
      folded += count;
      if (count < batch || this.closed) return folded;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.purgeTimer);
    clearTimeout(this.compactTimer);
    await Promise.all([this.purging, this.compacting, this.preparing]);
    await this.writer.close();
  }

  /** Events per minute per session and per client; a batch fits both or neither counts it. */
  private async enforceLimits(claims: AccessTokenClaims, events: number): Promise<void> {
    const { config } = this.options;
    const rules = [
      {
        key: `session:${claims.sid ?? `sub:${claims.sub}`}`,
        limit: config.telemetryEventsPerMinutePerSession,
        code: 'SESSION_EVENT_LIMIT' as const,
        who: 'this session',
      },
      { key: `client:${claims.client_id}`, limit: config.telemetryEventsPerMinutePerClient, code: 'CLIENT_EVENT_LIMIT' as const, who: 'this client' },
    ];
    const refusal = await this.admit(rules, events);
    if (refusal) {
      const rule = rules[refusal.index]!;
      throw telemetryError(
        rule.code,
        `${events} more events would exceed the limit of ${rule.limit} events per minute for ${rule.who}; retry after ${refusal.retryAfterSeconds} s${events > rule.limit ? ' with a smaller batch' : ''}.`,
        { 'Retry-After': String(refusal.retryAfterSeconds) },
      );
    }
  }

  /** Counts the batch against every rule if it fits all of them: across nodes when shared, else here. */
  private async admit(rules: readonly EventLimitRule[], cost: number): Promise<EventLimitRefusal | undefined> {
    const { sharedLimits, onSharedLimitFailure } = this.options;
    if (sharedLimits) {
      try {
        return await sharedLimits.admit(rules, cost);
      } catch (error) {
        onSharedLimitFailure?.(error);
      }
    }
    for (const [index, rule] of rules.entries()) {
      const verdict = this.limiter.check(rule.key, cost, rule.limit);
      if (!verdict.allowed) return { index, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    for (const rule of rules) this.limiter.take(rule.key, cost, rule.limit);
    return undefined;
  }

  private async countryOf(ip: string): Promise<string> {
    this.countryReady ??= (this.country.ready?.() ?? Promise.resolve()).catch((error: unknown) => {
      this.options.logger?.error({ err: error }, 'the country database could not be loaded; telemetry is stored without countries');
    });
    await this.countryReady;
    return this.country.resolve(ip)?.country ?? '';
  }

  private count(batch: PreparedBatch, result: IngestResult): void {
    const { metrics } = this.options;
    metrics.telemetryEvents.inc({ outcome: 'accepted' }, result.accepted);
    metrics.telemetryEvents.inc({ outcome: 'duplicate' }, result.duplicates);
    metrics.telemetryEvents.inc({ outcome: 'dropped' }, batch.dropped.length);
    metrics.telemetryEvents.inc({ outcome: 'rejected' }, result.rejected.length - batch.dropped.length);
    for (const { step, reason } of batch.dropped) metrics.telemetryDropped.inc({ step, reason });
    for (const { step, reason } of batch.redactions) metrics.telemetryRedactions.inc({ step, reason });
  }

  private scheduleCompaction(): void {
    this.compactTimer = setTimeout(() => {
      this.compacting = this.compactRollups()
        .catch((error: unknown) => this.options.logger?.error({ err: error }, 'telemetry rollup compaction failed'))
        .finally(() => {
          this.compacting = undefined;
          if (!this.closed) this.scheduleCompaction();
        });
    }, this.options.config.telemetryCompactInterval * 1000);
    this.compactTimer.unref();
  }

  private schedulePurge(delay: number): void {
    this.purgeTimer = setTimeout(() => {
      this.purging = this.purgeExpired()
        .catch((error: unknown) => this.options.logger?.error({ err: error }, 'telemetry retention purge failed'))
        .finally(() => {
          this.purging = undefined;
          if (!this.closed) this.schedulePurge(PURGE_INTERVAL_MS);
        });
    }, delay);
    this.purgeTimer.unref();
  }
}

/** Seconds between the oldest and newest `ts` of the accepted events (0 for none or one). */
function tsSpanSeconds(pending: readonly { row: { ts: number } }[]): number {
  let oldest = Infinity;
  let newest = -Infinity;
  for (const { row } of pending) {
    oldest = Math.min(oldest, row.ts);
    newest = Math.max(newest, row.ts);
  }
  return pending.length < 2 ? 0 : Math.round((newest - oldest) / 1000);
}
