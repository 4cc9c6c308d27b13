import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Redis } from 'ioredis';
import { describeWithRedis } from '../../test/helpers/redis.js';
import { RedisDpopReplayStore } from './redis-replay-store.js';

describeWithRedis('RedisDpopReplayStore', 'dpop', (redisOf) => {
  it('should accept a proof once across every store sharing Redis', async () => {
    const nodes = [new RedisDpopReplayStore({ redis: redisOf() }), new RedisDpopReplayStore({ redis: redisOf() })];
    const expiresAt = Date.now() + 60_000;
    const answers = await Promise.all([nodes[0]!.remember('jkt:jti-1', expiresAt), nodes[1]!.remember('jkt:jti-1', expiresAt)]);
    assert.deepEqual(answers.sort(), [false, true]);
    assert.equal(await nodes[1]!.remember('jkt:jti-2', expiresAt), true);
  });

  it('should forget a proof once its iat window has passed', async () => {
    const store = new RedisDpopReplayStore({ redis: redisOf() });
    assert.equal(await store.remember('jkt:short', Date.now() + 300), true);
    assert.equal(await store.remember('jkt:short', Date.now() + 60_000), false);
    const deadline = Date.now() + 3000;
    let acceptedAgain = false;
    while (!acceptedAgain && Date.now() < deadline) acceptedAgain = await store.remember('jkt:short', Date.now() + 60_000);
    assert.ok(acceptedAgain, 'accepted again once the first record expired');
  });

  it('should refuse with 503 and Retry-After when Redis cannot answer', async () => {
    let failures = 0;
    const store = new RedisDpopReplayStore({
      redis: { set: () => Promise.reject(new Error('closed')) } as unknown as Pick<Redis, 'set'>,
      onFailure: () => failures++,
    });
    await assert.rejects(
      store.remember('jkt:x', Date.now() + 60_000),
      (error: Error & { status?: number; error?: string; headers?: Record<string, string> }) => {
        assert.equal(error.status, 503);
        assert.equal(error.error, 'temporarily_unavailable');
        assert.equal(error.headers?.['Retry-After'], '5');
        return true;
      },
    );
    assert.equal(failures, 1);
  });
});
