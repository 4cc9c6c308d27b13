import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedLru } from './bounded-lru.js';

describe('BoundedLru', () => {
  it('evicts the least recently used entry beyond capacity', () => {
    const lru = new BoundedLru<string, number>(2);
    const evicted: string[] = [];
    lru.onEvict = (key) => evicted.push(key);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    assert.deepEqual(evicted, ['b']);
    assert.equal(lru.get('a'), 1);
  });

  it('keeps the order of use against a model: gets, peeks, updates, deletes and evictions', () => {
    const lru = new BoundedLru<number, number>(50);
    const evicted: number[] = [];
    lru.onEvict = (key) => evicted.push(key);
    // The model: an array of keys from oldest to youngest.
    const model: number[] = [];
    const use = (key: number) => {
      model.splice(model.indexOf(key), 1);
      model.push(key);
    };
    let state = 7;
    const random = (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      // The high bits: the low ones of this generator repeat with a short period.
      return (state >>> 16) % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const key = random(120);
      const action = random(4);
      if (action === 0) {
        assert.equal(lru.get(key) !== undefined, model.includes(key));
        if (model.includes(key)) use(key);
      } else if (action === 1) {
        assert.equal(lru.peek(key) !== undefined, model.includes(key));
      } else if (action === 2) {
        assert.equal(lru.delete(key), model.includes(key));
        if (model.includes(key)) model.splice(model.indexOf(key), 1);
      } else {
        if (model.includes(key)) use(key);
        else model.push(key);
        lru.set(key, step);
        if (model.length > 50) assert.equal(evicted.at(-1), model.shift());
      }
      assert.equal(lru.size, model.length);
    }
    assert.deepEqual(
      [...lru.entriesIterator()].map(([key]) => key),
      model,
    );
    assert.equal([...lru.values()].length, model.length);
  });

  it('lets the entry being visited be deleted', () => {
    const lru = new BoundedLru<string, number>(10);
    for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) lru.set(key, index);
    const seen: string[] = [];
    for (const [key, value] of lru.entriesIterator()) {
      seen.push(key);
      if (value % 2 === 0) lru.delete(key);
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      [...lru.entriesIterator()].map(([key]) => key),
      ['b', 'd'],
    );
  });
});
