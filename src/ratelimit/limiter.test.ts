import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRateLimitStore } from './limiter.js';

describe('MemoryRateLimitStore', () => {
  it('should allow up to the limit and then refuse with a whole-second Retry-After', async () => {
    let now = 60_000;
    const store = new MemoryRateLimitStore({ now: () => now });
    for (let i = 0; i < 5; i++) assert.equal((await store.hit('k', 5, 60_000)).allowed, true);
    const refused = await store.hit('k', 5, 60_000);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 120);
    now += refused.retryAfterSeconds * 1000;
    assert.equal((await store.hit('k', 5, 60_000)).allowed, true, 'allowed again once Retry-After has passed');
  });

  it('should weigh the previous window so a burst at a window edge is not doubled', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ now: () => now });
    now = 59_000;
    for (let i = 0; i < 10; i++) await store.hit('k', 10, 60_000);
    now = 61_000; // a new fixed window, but 58/60 of the previous one still overlaps
    assert.equal((await store.hit('k', 10, 60_000)).allowed, false);
    now = 119_999;
    assert.equal((await store.hit('k', 10, 60_000)).allowed, true);
  });

  it('should keep keys apart and memory bounded', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 3 });
    assert.equal((await store.hit('a', 1, 60_000)).allowed, true);
    assert.equal((await store.hit('a', 1, 60_000)).allowed, false);
    assert.equal((await store.hit('b', 1, 60_000)).allowed, true);
    for (const key of ['c', 'd', 'e']) await store.hit(key, 1, 60_000);
    // "a" was the least recently used and has been evicted, so it starts afresh.
    assert.equal((await store.hit('a', 1, 60_000)).allowed, true);
  });

  it('should keep a busy key while many others come and go, and forget a key not used since', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 10 });
    assert.equal((await store.hit('busy', 1, 60_000)).allowed, true);
    assert.equal((await store.hit('quiet', 1, 60_000)).allowed, true);
    for (let i = 0; i < 100; i++) {
      assert.equal((await store.hit(`visitor-${i}`, 1, 60_000)).allowed, true);
      // Its count survives every turnover of the generations: it is still over its limit.
      assert.equal((await store.hit('busy', 1, 60_000)).allowed, false, `busy forgotten after ${i + 1} other keys`);
    }
    // Used once, 100 keys ago: its window was dropped, so it starts afresh.
    assert.equal((await store.hit('quiet', 1, 60_000)).allowed, true);
    // Four other keys since its last use (fewer than maxKeys / 2): still remembered.
    for (let i = 0; i < 4; i++) await store.hit(`late-${i}`, 1, 60_000);
    assert.equal((await store.hit('quiet', 1, 60_000)).allowed, false);
  });
});
