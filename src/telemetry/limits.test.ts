import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLimiter } from './limits.js';

describe('EventLimiter', () => {
  it('should count events, not requests, and refuse the batch that does not fit', () => {
    let now = 1_000_000 * 60_000;
    const limiter = new EventLimiter({ now: () => now });
    assert.ok(limiter.check('s', 60, 100).allowed);
    limiter.take('s', 60, 100);
    const refused = limiter.check('s', 50, 100);
    assert.equal(refused.allowed, false);
    // Next minute, once the 60 weigh no more than 50: 10 s into it.
    assert.equal(refused.retryAfterSeconds, 70);
    assert.ok(limiter.check('s', 40, 100).allowed, 'a smaller batch still fits');
    assert.ok(limiter.check('other', 100, 100).allowed, 'keys are separate');
    now += 2 * 60_000;
    assert.ok(limiter.check('s', 100, 100).allowed, 'two windows later the count is gone');
  });

  it('should weigh the previous minute by how much of it still overlaps', () => {
    let now = 1_000_000 * 60_000;
    const limiter = new EventLimiter({ now: () => now });
    limiter.take('s', 100, 100);
    now += 60_000 + 30_000; // half-way through the next minute: 50 still count
    assert.ok(limiter.check('s', 50, 100).allowed);
    assert.equal(limiter.check('s', 51, 100).allowed, false);
  });

  it('should treat a limit of 0 as no limit', () => {
    const limiter = new EventLimiter();
    limiter.take('s', 1000, 0);
    assert.ok(limiter.check('s', 1000, 0).allowed);
  });
});
