import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { describeWithRedis } from '../../test/helpers/redis.js';
import { FallbackRateLimitStore, whenSharedStoreFails } from './fallback.js';
import { MemoryRateLimitStore } from './limiter.js';
import { RedisRateLimitStore } from './redis-store.js';

describeWithRedis('RedisRateLimitStore', 'ratelimit', (redisOf) => {
  it('should allow up to the limit across stores sharing Redis, then refuse with Retry-After', async () => {
    // Two stores on one Redis: two nodes.
    const stores = [new RedisRateLimitStore(redisOf()), new RedisRateLimitStore(redisOf())];
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => stores[i % 2]!.hit('guest:ip:203.0.113.9', 10, 60_000)));
    assert.equal(results.filter((result) => result.allowed).length, 10, 'exactly the limit, though the hits were concurrent');
    const refused = results.find((result) => !result.allowed);
    assert.ok(refused && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 120);
    assert.equal(refused.remaining, 0);
  });

  it('should count down what remains and keep keys apart', async () => {
    const store = new RedisRateLimitStore(redisOf());
    assert.equal((await store.hit('a', 3, 60_000)).remaining, 2);
    assert.equal((await store.hit('a', 3, 60_000)).remaining, 1);
    assert.equal((await store.hit('b', 3, 60_000)).remaining, 2);
  });

  it('should refuse past the limit and keep a key two windows at most', async () => {
    const store = new RedisRateLimitStore(redisOf());
    const windowMs = 1000;
    const key = 'edge';
    for (let i = 0; i < 4; i++) await store.hit(key, 4, windowMs);
    assert.equal((await store.hit(key, 4, windowMs)).allowed, false);
    const ttl = await redisOf().pttl(`rl:${key}`);
    assert.ok(ttl > 0 && ttl <= 2 * windowMs, 'a key lives two windows at most');
  });

  it('should send the script itself when Redis does not have it cached (after a restart)', async () => {
    // The machine's Redis is shared: rather than SCRIPT FLUSH, a client whose EVALSHA misses once.
    let missed = 0;
    const forgetful = {
      evalsha: (...args: Parameters<Redis['evalsha']>) =>
        missed++ === 0 ? Promise.reject(new Error('NOSCRIPT No matching script.')) : redisOf().evalsha(...args),
      eval: (...args: Parameters<Redis['eval']>) => redisOf().eval(...args),
    } as Pick<Redis, 'evalsha' | 'eval'>;
    assert.equal((await new RedisRateLimitStore(forgetful).hit('after-restart', 1, 60_000)).allowed, true);
    assert.equal((await new RedisRateLimitStore(forgetful).hit('after-restart', 1, 60_000)).allowed, false);
  });
});

describe('FallbackRateLimitStore', () => {
  const broken = { hit: () => Promise.reject(new Error('connection is closed')) };

  it('should count on this node alone for rules that fail open', async () => {
    let failures = 0;
    const store = new FallbackRateLimitStore({ shared: broken, local: new MemoryRateLimitStore(), onSharedFailure: () => failures++ });
    assert.equal((await store.hit('guest:ip:203.0.113.9', 1, 60_000)).allowed, true);
    assert.equal((await store.hit('guest:ip:203.0.113.9', 1, 60_000)).allowed, false, 'the local limiter still limits');
    assert.equal(failures, 2);
  });

  it('should refuse with 503 temporarily_unavailable and Retry-After for rules that fail closed', async () => {
    const store = new FallbackRateLimitStore({ shared: broken, local: new MemoryRateLimitStore(), onSharedFailure: () => {} });
    await assert.rejects(store.hit('account:login:abc', 5, 60_000), (error: Error & { status?: number; error?: string; headers?: Record<string, string> }) => {
      assert.equal(error.status, 503);
      assert.equal(error.error, 'temporarily_unavailable');
      assert.equal(error.headers?.['Retry-After'], '5');
      return true;
    });
  });

  it('should decide every rule the server has, and refuse for a namespace nobody classified', () => {
    for (const key of ['guest:ip:x', 'guest:net:x', 'guest:client:x', 'token:ip:x', 'token:client:x', 'mail:x'])
      assert.equal(whenSharedStoreFails(key), 'local', key);
    for (const key of ['account:ip:x', 'account:login:x', 'erasure:password:x', 'new:x']) assert.equal(whenSharedStoreFails(key), 'refuse', key);
  });
});
