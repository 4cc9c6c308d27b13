import { HllSketch } from '../shared/hll.js';
import { DAY_MS, HOUR_MS } from '../shared/time.js';

/** The `client_id` of the sketch rows that count every client together. */
export const ALL_CLIENTS = '*';

export type LifecycleCounter = 'guests_created' | 'converted' | 'merged' | 'culled';
/** What is counted per day and client, and per hour: the lifecycle steps and the alerts raised. */
export type Counter = LifecycleCounter | 'alerts';

export interface SketchDelta {
  day: number;
  clientId: string;
  isAnonymous: boolean;
  sketch: HllSketch;
}

export interface CounterDelta {
  day: number;
  clientId: string;
  counts: Record<Counter, number>;
}

/** One hour's users of one kind, every client together. */
export interface HourSketchDelta {
  hour: number;
  isAnonymous: boolean;
  sketch: HllSketch;
}

export interface HourCounterDelta {
  hour: number;
  counts: Record<Counter, number>;
}

/** What one flush writes: its id makes a retry of the same flush count once. */
export interface StatsBatch {
  id: string;
  sketches: SketchDelta[];
  counters: CounterDelta[];
  hourSketches: HourSketchDelta[];
  hourCounters: HourCounterDelta[];
}

export function dayOf(time: number): number {
  return time - (((time % DAY_MS) + DAY_MS) % DAY_MS);
}

export function hourOf(time: number): number {
  return time - (((time % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

const noCounts = (): Record<Counter, number> => ({ guests_created: 0, converted: 0, merged: 0, culled: 0, alerts: 0 });

/**
 * What this node saw since its last flush: a sketch per (day, client, kind) and per (hour,
 * kind), counters per (day, client) and per hour. Its size is bounded by the keys seen (a
 * sketch stops growing at 16 KiB), not by the traffic.
 */
export class StatsBuffer {
  private sketches = new Map<string, SketchDelta>();
  private counters = new Map<string, CounterDelta>();
  private hourSketches = new Map<string, HourSketchDelta>();
  private hourCounters = new Map<number, HourCounterDelta>();

  get isEmpty(): boolean {
    return this.sketches.size === 0 && this.counters.size === 0 && this.hourSketches.size === 0 && this.hourCounters.size === 0;
  }

  /** `userId` was active at `time`: counted for its client and for all clients that day, and in that hour. */
  active(time: number, clientId: string | undefined, isAnonymous: boolean, userId: string): void {
    const day = dayOf(time);
    for (const client of clientId ? [clientId, ALL_CLIENTS] : [ALL_CLIENTS]) {
      const key = `${day}|${client}|${isAnonymous ? 1 : 0}`;
      let delta = this.sketches.get(key);
      if (!delta) this.sketches.set(key, (delta = { day, clientId: client, isAnonymous, sketch: new HllSketch() }));
      delta.sketch.add(userId);
    }
    const hour = hourOf(time);
    const key = `${hour}|${isAnonymous ? 1 : 0}`;
    let delta = this.hourSketches.get(key);
    if (!delta) this.hourSketches.set(key, (delta = { hour, isAnonymous, sketch: new HllSketch() }));
    delta.sketch.add(userId);
  }

  count(time: number, clientId: string | undefined, counter: Counter, amount = 1): void {
    if (amount <= 0) return;
    const day = dayOf(time);
    const client = clientId ?? '';
    const key = `${day}|${client}`;
    let delta = this.counters.get(key);
    if (!delta) this.counters.set(key, (delta = { day, clientId: client, counts: noCounts() }));
    delta.counts[counter] += amount;
    const hour = hourOf(time);
    let hourly = this.hourCounters.get(hour);
    if (!hourly) this.hourCounters.set(hour, (hourly = { hour, counts: noCounts() }));
    hourly.counts[counter] += amount;
  }

  /** Hands over everything as one batch and starts empty. */
  drain(id: string): StatsBatch {
    const batch = {
      id,
      sketches: [...this.sketches.values()],
      counters: [...this.counters.values()],
      hourSketches: [...this.hourSketches.values()],
      hourCounters: [...this.hourCounters.values()],
    };
    this.sketches = new Map();
    this.counters = new Map();
    this.hourSketches = new Map();
    this.hourCounters = new Map();
    return batch;
  }
}
