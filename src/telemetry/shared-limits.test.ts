import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeWithRedis } from '../../test/helpers/redis.js';
import { RedisEventLimits } from './shared-limits.js';

describeWithRedis('RedisEventLimits', 'events', (redisOf) => {
  it('should count a batch against every rule, or against none when one refuses it', async () => {
    const nodes = [new RedisEventLimits(redisOf()), new RedisEventLimits(redisOf())];
    const rules = [
      { key: 'session:s1', limit: 30 },
      { key: 'client:c1', limit: 1000 },
    ];
    assert.equal(await nodes[0]!.admit(rules, 20), undefined);
    const refused = await nodes[1]!.admit(rules, 20);
    assert.equal(refused?.index, 0, 'the session rule refuses: 40 > 30 across both nodes');
    assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 120);
    // The refused batch counted nowhere: the client rule still has room for 980.
    assert.equal(await nodes[0]!.admit([{ key: 'session:s2', limit: 1000 }, rules[1]!], 980), undefined);
    assert.equal((await nodes[0]!.admit([{ key: 'session:s3', limit: 1000 }, rules[1]!], 1))?.index, 1);
  });

  it('should refuse a batch larger than the limit and skip a disabled rule', async () => {
    const limits = new RedisEventLimits(redisOf());
    assert.equal((await limits.admit([{ key: 'session:big', limit: 10 }], 11))?.index, 0);
    assert.equal(await limits.admit([{ key: 'session:off', limit: 0 }], 1_000_000), undefined);
    assert.equal(await redisOf().exists('ev:{session:off}:session:off'), 0, 'nothing stored for a disabled rule');
  });
});
