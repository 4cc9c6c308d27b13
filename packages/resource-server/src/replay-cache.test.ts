import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReplayStore } from './replay-cache.js';

describe('MemoryReplayStore', () => {
  it('should refuse an id seen before it expires and accept it again after', () => {
    let now = 1000;
    const store = new MemoryReplayStore({ now: () => now });
    assert.equal(store.remember('a', 2000), true);
    assert.equal(store.remember('a', 2000), false);
    now = 2001;
    assert.equal(store.remember('a', 3000), true);
  });

  it('should stay within maxEntries under a flood, dropping the oldest ids first', () => {
    const store = new MemoryReplayStore({ maxEntries: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) store.remember(`id-${i}`, 60_000);
    assert.ok(store.size <= 100);
    assert.equal(store.remember('id-999', 60_000), false, 'the newest ids are kept');
  });
});
