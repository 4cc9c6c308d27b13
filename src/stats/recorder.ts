import { newId } from '../crypto/ids.js';
import type { EventBus } from '../events/bus.js';
import { hourOf, StatsBuffer, type StatsBatch } from './buffer.js';
import { DAY_MS, HOUR_MS } from '../shared/time.js';
import type { StatsStore } from './store.js';

/** Day rows are kept this long: a year and a month, so last year's same month can be compared. */
export const STATS_RETENTION_DAYS = 400;
/** Hour rows are kept two days: the overview's last 24 hours, and the day before to compare. */
export const HOUR_RETENTION_HOURS = 48;
/** A retried flush comes within minutes; its id is kept far longer than that. */
const FLUSH_ID_RETENTION_MS = DAY_MS;
const PURGE_EVERY_MS = 3_600_000;

export interface StatsRecorderOptions {
  store: StatsStore;
  events: EventBus;
  now: () => number;
  flushIntervalMs: number;
  onError?: (error: unknown, what: string) => void;
}

/**
 * Listens to the domain events that mean activity, a lifecycle step or an alert, keeps them in memory,
 * and writes them every `flushIntervalMs` and on close. Activity is `session.created` and
 * `session.refreshed`, whatever else the user does: a client that sends no telemetry still
 * has active users. (`login.succeeded` is always followed by a `session.created`.)
 *
 * A flush that fails is kept, with its id, and retried before anything newer; meanwhile new
 * events wait in the buffer, so memory stays bounded by the keys seen, not by the outage.
 */
export class StatsRecorder {
  private readonly buffer = new StatsBuffer();
  private pending: StatsBatch | undefined;
  private tail: Promise<void> = Promise.resolve();
  private lastPurgeAt = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly options: StatsRecorderOptions) {
    const { events } = options;
    this.unsubscribe = [
      events.on('session.created', (event) => {
        this.active(event);
        if (event.new_user) this.buffer.count(event.time, event.client_id, 'guests_created');
      }),
      events.on('session.refreshed', (event) => this.active(event)),
      events.on('user.converted', (event) => this.buffer.count(event.time, event.client_id, 'converted')),
      events.on('user.merged', (event) => this.buffer.count(event.time, event.client_id, 'merged')),
      events.on('user.culled', (event) => {
        for (const [clientId, users] of Object.entries(event.by_client)) this.buffer.count(event.time, clientId, 'culled', users);
      }),
      // Announced once, by the node that stored the alert, after its commit (anomaly/alerts/service.ts).
      events.on('alert.raised', (event) => this.buffer.count(event.time, event.client_id, 'alerts')),
    ];
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => options.onError?.(error, 'active-user stats flush'));
    }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes what this node saw so far; one flush at a time, in order. */
  flush(): Promise<void> {
    const run = this.tail.then(() => this.flushOnce());
    this.tail = run.catch(() => {});
    return run;
  }

  /** Stops listening and writes what is left; a failure here loses those seconds of counts. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    await this.flush();
  }

  /** Events recorded before `is_anonymous` existed (replays of old files) say nothing about the kind: not counted. */
  private active(event: { time: number; client_id?: string; subject?: string; is_anonymous?: boolean }): void {
    if (event.is_anonymous === undefined || !event.subject) return;
    this.buffer.active(event.time, event.client_id, event.is_anonymous, event.subject);
  }

  private async flushOnce(): Promise<void> {
    const { store, now } = this.options;
    if (this.pending) {
      await store.apply(this.pending, now());
      this.pending = undefined;
    }
    if (!this.buffer.isEmpty) {
      this.pending = this.buffer.drain(newId());
      await store.apply(this.pending, now());
      this.pending = undefined;
    }
    const time = now();
    if (time - this.lastPurgeAt >= PURGE_EVERY_MS) {
      await store.purge(oldestKeptDay(time), time - FLUSH_ID_RETENTION_MS, oldestKeptHour(time));
      this.lastPurgeAt = time;
    }
  }
}

/** The first UTC hour still kept at `time`. */
export function oldestKeptHour(time: number): number {
  return hourOf(time) - (HOUR_RETENTION_HOURS - 1) * HOUR_MS;
}

/** The first UTC day still kept at `time`. */
export function oldestKeptDay(time: number): number {
  return time - (time % DAY_MS) - (STATS_RETENTION_DAYS - 1) * DAY_MS;
}
