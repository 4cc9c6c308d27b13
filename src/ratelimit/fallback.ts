import { httpError } from '../shared/error-codes.js';
import type { MemoryRateLimitStore, RateLimitResult, RateLimitStore } from './limiter.js';

/** What a limit does while the shared store (Redis) cannot answer. */
export type WhenShared = 'local' | 'refuse';

/**
 * Per rule, by the key's namespace, with the reason. `local`: this node's memory limiter
 * counts alone, so the limit is per node (N times looser on N nodes) until Redis is back.
 * `refuse`: 503 with Retry-After, because a looser limit there is a security hole.
 */
export const WHEN_SHARED_STORE_FAILS: Readonly<Record<string, WhenShared>> = {
  // The front door of every visitor: an outage must not stop new visitors; each node still caps its share.
  'guest:': 'local',
  // Refreshes keep every signed-in user working; the credentials it takes are 256-bit, so guessing gains nothing from a looser limit.
  'token:': 'local',
  // Sign-up, login, verification codes and resets per IP: a looser limit is more password and code guesses.
  'account:ip:': 'refuse',
  // Password guesses against one account: the limit is the protection.
  'account:login:': 'refuse',
  // Password confirmation before an erasure: the same password-guessing protection.
  'erasure:password:': 'refuse',
  // Mails per address: each node still caps mail bombing, and refusing would fail sign-ups.
  'mail:': 'local',
};

/** Seconds a refused caller is told to wait while the shared store is down. */
const UNAVAILABLE_RETRY_SECONDS = 5;

export function whenSharedStoreFails(key: string): WhenShared {
  for (const [namespace, policy] of Object.entries(WHEN_SHARED_STORE_FAILS)) if (key.startsWith(namespace)) return policy;
  // A namespace nobody classified fails safe.
  return 'refuse';
}

export interface FallbackRateLimitStoreOptions {
  shared: RateLimitStore;
  local: MemoryRateLimitStore;
  /** Called once per failed call of the shared store (for the metrics). */
  onSharedFailure: (error: unknown) => void;
}

/** The shared store, and on its failure the documented behaviour of each rule. */
export class FallbackRateLimitStore implements RateLimitStore {
  constructor(private readonly options: FallbackRateLimitStoreOptions) {}

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    try {
      return await this.options.shared.hit(key, limit, windowMs);
    } catch (error) {
      this.options.onSharedFailure(error);
      if (whenSharedStoreFails(key) === 'local') return this.options.local.hit(key, limit, windowMs);
      throw httpError('LIMITER_UNAVAILABLE', undefined, { 'Retry-After': String(UNAVAILABLE_RETRY_SECONDS) });
    }
  }
}
