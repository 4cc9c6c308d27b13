import { httpError } from '../shared/error-codes.js';
import type { RateLimitStore } from './limiter.js';

export { FallbackRateLimitStore, WHEN_SHARED_STORE_FAILS, whenSharedStoreFails, type WhenShared } from './fallback.js';
export { MemoryRateLimitStore, type RateLimitStore, type RateLimitResult } from './limiter.js';
export { RedisRateLimitStore } from './redis-store.js';

export interface RateLimitRule {
  /** Counted per value of this key, e.g. `token:ip:203.0.113.0`. */
  key: string;
  /** Requests per window; 0 disables the rule. */
  limit: number;
  windowMs: number;
  /** Who is limited, for the error description: "this IP address", "this client". */
  subject: string;
}

/** Counts one hit against each rule, stopping at the first refusal with a 429 and Retry-After. */
export async function enforceRateLimits(store: RateLimitStore, rules: RateLimitRule[]): Promise<void> {
  for (const rule of rules) {
    if (rule.limit <= 0) continue;
    const result = await store.hit(rule.key, rule.limit, rule.windowMs);
    if (!result.allowed) {
      throw httpError(
        'RATE_LIMITED',
        `Too many requests from ${rule.subject} (limit ${rule.limit} per ${rule.windowMs / 1000} s); retry after ${result.retryAfterSeconds} s.`,
        { 'Retry-After': String(result.retryAfterSeconds) },
      );
    }
  }
}
