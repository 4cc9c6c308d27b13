import { HllSketch } from '../shared/hll.js';

export const DAY_MS = 86_400_000;
/** The `client_id` of the sketch rows that count every client together. */
export const ALL_CLIENTS = '*';

export type LifecycleCounter = 'guests_created' | 'converted' | 'merged' | 'culled';

export interface SketchDelta {
  day: number;
  clientId: string;
  isAnonymous: boolean;
  sketch: HllSketch;
}

export interface CounterDelta {
  day: number;
  clientId: string;
  counts: Record<LifecycleCounter, number>;
}

/** What one flush writes: its id makes a retry of the same flush count once. */
export interface StatsBatch {
  id: string;
  sketches: SketchDelta[];
  counters: CounterDelta[];
}

export function dayOf(time: number): number {
  return time - (((time % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * What this node saw since its last flush: a sketch per (day, client, kind) and counters per
 * (day, client). Its size is bounded by the keys seen (a sketch stops growing at 16 KiB), not
 * by the traffic.
 */
export class StatsBuffer {
  private sketches = new Map<string, SketchDelta>();
  private counters = new Map<string, CounterDelta>();

  get isEmpty(): boolean {
    return this.sketches.size === 0 && this.counters.size === 0;
  }

  /** `userId` was active on the day of `time`: counted for its client and for all clients. */
  active(time: number, clientId: string | undefined, isAnonymous: boolean, userId: string): void {
    const day = dayOf(time);
    for (const client of clientId ? [clientId, ALL_CLIENTS] : [ALL_CLIENTS]) {
      const key = `${day}|${client}|${isAnonymous ? 1 : 0}`;
      let delta = this.sketches.get(key);
      if (!delta) this.sketches.set(key, (delta = { day, clientId: client, isAnonymous, sketch: new HllSketch() }));
      delta.sketch.add(userId);
    }
  }

  count(time: number, clientId: string | undefined, counter: LifecycleCounter, amount = 1): void {
    if (amount <= 0) return;
    const day = dayOf(time);
    const client = clientId ?? '';
    const key = `${day}|${client}`;
    let delta = this.counters.get(key);
    if (!delta) this.counters.set(key, (delta = { day, clientId: client, counts: { guests_created: 0, converted: 0, merged: 0, culled: 0 } }));
    delta.counts[counter] += amount;
  }

  /** Hands over everything as one batch and starts empty. */
  drain(id: string): StatsBatch {
    const batch = { id, sketches: [...this.sketches.values()], counters: [...this.counters.values()] };
    this.sketches = new Map();
    this.counters = new Map();
    return batch;
  }
}
