import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { dpopError } from './error-codes.js';
import type { DpopReplayStore } from './replay-cache.js';

/** Seconds a client is told to wait while the replay cache is down. */
const UNAVAILABLE_RETRY_SECONDS = 5;

export interface RedisDpopReplayStoreOptions {
  redis: Pick<Redis, 'set'>;
  now?: () => number;
  /** Called once per failed check (for the metrics). */
  onFailure?: (error: unknown) => void;
}

/**
 * The replay cache of every node (RFC 9449 §11.1): `SET … NX PX` records and checks in one
 * atomic step. Keys are hashed so that a 512-character jti costs 32 bytes.
 *
 * Fails closed: a proof whose replay cannot be checked is refused with 503 and Retry-After.
 * Falling back to this node's memory would accept a proof captured and replayed on another
 * node, the very attack DPoP's replay check exists for; a client retries with a fresh proof.
 */
export class RedisDpopReplayStore implements DpopReplayStore {
  private readonly redis: Pick<Redis, 'set'>;
  private readonly now: () => number;
  private readonly onFailure: (error: unknown) => void;

  constructor({ redis, now = Date.now, onFailure = () => {} }: RedisDpopReplayStoreOptions) {
    this.redis = redis;
    this.now = now;
    this.onFailure = onFailure;
  }

  async remember(key: string, expiresAtMs: number): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - this.now()));
    const hashed = createHash('sha256').update(key).digest('base64url');
    try {
      return (await this.redis.set(`dpop:${hashed}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    } catch (error) {
      this.onFailure(error);
      throw dpopError('REPLAY_CHECK_UNAVAILABLE', undefined, { 'Retry-After': String(UNAVAILABLE_RETRY_SECONDS) });
    }
  }
}
