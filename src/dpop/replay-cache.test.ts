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
});
