import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentKeys } from './recent-keys.js';

describe('RecentKeys', () => {
  it('should hold at most maxKeys keys, however many come', () => {
    const keys = new RecentKeys<number>(10);
    for (let i = 0; i < 1_000; i++) {
      keys.set(`k${i}`, i);
      assert.ok(keys.size <= 10, `${keys.size} keys after ${i + 1}`);
    }
    assert.equal(keys.get('k999'), 999);
    assert.equal(keys.get('k0'), undefined);
  });

  it('should keep a key used between every few others, and its latest value', () => {
    const keys = new RecentKeys<number>(10);
    keys.set('busy', 0);
    for (let i = 1; i <= 200; i++) {
      keys.set(`visitor-${i}`, i);
      assert.equal(keys.get('busy'), i - 1, `busy lost after ${i} other keys`);
      keys.set('busy', i);
    }
  });

  it('should keep a key until maxKeys / 2 others were used after it, and drop it once enough were', () => {
    const keys = new RecentKeys<string>(10);
    keys.set('quiet', 'kept');
    for (let i = 0; i < 4; i++) keys.set(`other-${i}`, 'x');
    assert.equal(keys.get('quiet'), 'kept');
    for (let i = 0; i < 20; i++) keys.set(`later-${i}`, 'x');
    assert.equal(keys.get('quiet'), undefined);
  });

  it('should refuse a maxKeys that bounds nothing', () => {
    assert.throws(() => new RecentKeys(0), RangeError);
    assert.throws(() => new RecentKeys(1.5), RangeError);
  });
});
