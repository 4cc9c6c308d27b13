import { RecentKeys } from '../shared/recent-keys.js';

/**
 * Rate limiting behind a small interface: the in-memory store serves one process; a Redis
 * store implementing the same interface shares the counts between nodes.
 */

export interface RateLimitResult {
  allowed: boolean;
  /** Requests left in the current window (0 when refused). */
  remaining: number;
  /** Seconds until a refused caller may try again (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimitStore {
  /** Counts one hit for `key` and says whether it fits `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
}

interface Window {
  start: number;
  current: number;
  previous: number;
}

export interface MemoryRateLimitStoreOptions {
  /** Most keys kept; the oldest windows are dropped beyond it so memory stays bounded. @default 100_000 */
  maxKeys?: number;
  now?: () => number;
}

/**
 * Sliding-window counter (the previous window's count weighted by how much of it still
 * overlaps): smooth like a sliding log, but two numbers per key. Windows not used lately are
 * dropped past `maxKeys` (shared/recent-keys.ts says which and why not in strict LRU order).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows: RecentKeys<Window>;
  private readonly now: () => number;

  constructor({ maxKeys = 100_000, now = Date.now }: MemoryRateLimitStoreOptions = {}) {
    this.windows = new RecentKeys(maxKeys);
    this.now = now;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = this.now();
    const windowStart = now - (now % windowMs);
    const window = this.windowOf(key, windowStart);
    if (window.start <= windowStart - 2 * windowMs) {
      window.previous = 0;
      window.current = 0;
      window.start = windowStart;
    } else if (window.start < windowStart) {
      window.previous = window.start === windowStart - windowMs ? window.current : 0;
      window.current = 0;
      window.start = windowStart;
    }

    const overlap = 1 - (now - windowStart) / windowMs;
    const estimated = window.previous * overlap + window.current;
    if (estimated + 1 > limit) {
      const retryAfterMs = this.retryAfterMs(window, limit, windowMs, now);
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    }
    window.current += 1;
    return { allowed: true, remaining: Math.max(0, Math.floor(limit - estimated - 1)), retryAfterSeconds: 0 };
  }

  /** The key's window (a use of the key); a new key's starts empty at `windowStart`. */
  private windowOf(key: string, windowStart: number): Window {
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = { start: windowStart, current: 0, previous: 0 }));
    return window;
  }

  /** When `previous × overlap + current + 1` first fits the limit again. */
  private retryAfterMs(window: Window, limit: number, windowMs: number, now: number): number {
    const room = limit - window.current - 1;
    if (room >= 0 && window.previous > 0) {
      const at = window.start + windowMs * (1 - room / window.previous);
      if (at < window.start + windowMs) return at - now;
    }
    // Not within this window: in the next one, this window's count becomes the weighted one.
    const nextStart = window.start + windowMs;
    const fraction = window.current > 0 ? Math.max(0, 1 - (limit - 1) / window.current) : 0;
    return nextStart + windowMs * fraction - now;
  }
}
