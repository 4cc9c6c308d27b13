import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDpopReplayStore } from './replay-cache.js';

describe('MemoryDpopReplayStore', () => {
  it('remembers a key until it expires', async () => {
    let now = 1_000;
    const store = new MemoryDpopReplayStore({ now: () => now });
    assert.equal(await store.remember('k', 2_000), true);
    assert.equal(await store.remember('k', 2_000), false);
    now = 2_000;
    assert.equal(await store.remember('k', 3_000), false, 'still remembered at its expiry instant');
    now = 3_001;
    assert.equal(await store.remember('k', 4_000), true);
  });

  it('prunes expired entries', async () => {
    let now = 0;
    const store = new MemoryDpopReplayStore({ now: () => now });
    for (let i = 0; i < 10; i++) await store.remember(`old-${i}`, 100);
    now = 101;
    await store.remember('new', 200);
    assert.equal(store.size, 1);
  });

  it('evicts the oldest entries beyond maxEntries', async () => {
    const store = new MemoryDpopReplayStore({ maxEntries: 3, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'd']) assert.equal(await store.remember(key, 1_000), true);
    assert.equal(store.size, 3);
    assert.equal(await store.remember('d', 1_000), false);
    assert.equal(await store.remember('a', 1_000), true, '"a" was evicted, so it is new again');
  });

  it('keeps a key recorded again after it expired until its new expiry, whatever the order of the others', async () => {
    let now = 0;
    const store = new MemoryDpopReplayStore({ now: () => now });
    await store.remember('a', 1_000);
    // Expires before "a", which was recorded first: it stays queued behind "a".
    await store.remember('k', 100);
    now = 101;
    assert.equal(await store.remember('k', 5_000), true, 'expired, so new again');
    now = 1_001;
    // "a" and the first record of "k" go; the second record of "k" must stay.
    assert.equal(await store.remember('k', 6_000), false);
    assert.equal(store.size, 1);
  });
});
