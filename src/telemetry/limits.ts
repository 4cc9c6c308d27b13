import { RecentKeys } from '../shared/recent-keys.js';

/**
 * Events-per-minute limits. The shared limiter (ratelimit/) counts requests; telemetry must
 * count events, and a batch of 500 is 500 of them, so this keeps a weighted sliding-window
 * counter of its own: the previous minute's count weighted by how much of it still overlaps,
 * plus the current one. In memory, per process, like the shared limiter's default store.
 */
interface Window {
  start: number;
  current: number;
  previous: number;
}

export interface EventLimitResult {
  allowed: boolean;
  /** Seconds until a batch of this size would fit (0 when allowed). */
  retryAfterSeconds: number;
}

export interface EventLimiterOptions {
  windowMs?: number;
  /** Most keys kept; windows not used lately are dropped past it (shared/recent-keys.ts). @default 100_000 */
  maxKeys?: number;
  now?: () => number;
}

export class EventLimiter {
  private readonly windows: RecentKeys<Window>;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor({ windowMs = 60_000, maxKeys = 100_000, now = Date.now }: EventLimiterOptions = {}) {
    this.windowMs = windowMs;
    this.windows = new RecentKeys(maxKeys);
    this.now = now;
  }

  /** What `take` would answer, without counting anything. */
  check(key: string, cost: number, limit: number): EventLimitResult {
    if (limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const now = this.now();
    const window = this.windowAt(key, now);
    const overlap = 1 - (now - window.start) / this.windowMs;
    if (window.previous * overlap + window.current + cost <= limit) return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(this.retryAfterMs(window, cost, limit, now) / 1000)) };
  }

  /** Counts `cost` events for `key` (call after every `check` of the request passed). */
  take(key: string, cost: number, limit: number): void {
    if (limit <= 0) return;
    const window = this.windowAt(key, this.now());
    window.current += cost;
    this.windows.set(key, window);
  }

  private windowAt(key: string, now: number): Window {
    const start = now - (now % this.windowMs);
    const window = this.windows.get(key);
    if (!window || window.start <= start - 2 * this.windowMs) return { start, current: 0, previous: 0 };
    if (window.start < start) {
      const rolled = { start, current: 0, previous: window.start === start - this.windowMs ? window.current : 0 };
      this.windows.set(key, rolled);
      return rolled;
    }
    return window;
  }

  /** When `previous × overlap + current + cost` first fits; a batch larger than the limit never does. */
  private retryAfterMs(window: Window, cost: number, limit: number, now: number): number {
    const room = limit - window.current - cost;
    if (room >= 0 && window.previous > 0) {
      const at = window.start + this.windowMs * (1 - room / window.previous);
      if (at < window.start + this.windowMs) return at - now;
    }
    const nextStart = window.start + this.windowMs;
    const fraction = window.current > 0 ? Math.min(1, Math.max(0, 1 - (limit - cost) / window.current)) : 0;
    return nextStart + this.windowMs * fraction - now;
  }
}
