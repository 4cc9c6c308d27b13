import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Metadata } from '../../sessions/user-store.js';
import { mergeMetadata, type MergeSide } from './merge-metadata.js';
import { parseMergeStrategies, readMergeStrategies, type MergeStrategies } from './strategies.js';

const account = (metadata: Metadata, updatedAt = 1000): MergeSide => ({ metadata, updatedAt });
const guest = (metadata: Metadata, updatedAt = 1000): MergeSide => ({ metadata, updatedAt });
const merge = (a: MergeSide, g: MergeSide, strategies: MergeStrategies = {}) => mergeMetadata(a, g, strategies);

describe('mergeMetadata', () => {
  it('prefers the account’s value by default, and takes a key only one side has from that side', () => {
    const result = merge(account({ theme: 'light', locale: 'fr' }), guest({ theme: 'dark', cart: ['tea'] }));
    assert.deepEqual(result.metadata, { theme: 'light', locale: 'fr', cart: ['tea'] });
    assert.deepEqual(result.decisions, [
      { key: 'theme', strategy: 'prefer_account', source: 'account' },
      { key: 'locale', strategy: 'prefer_account', source: 'account' },
      { key: 'cart', strategy: 'prefer_account', source: 'guest' },
    ]);
  });

  it('keeps a falsy account value (0, false, empty string, null) under prefer_account', () => {
    const result = merge(account({ a: 0, b: false, c: '', d: null }), guest({ a: 5, b: true, c: 'x', d: 'y' }));
    assert.deepEqual(result.metadata, { a: 0, b: false, c: '', d: null });
  });

  it('takes the guest’s value with prefer_guest', () => {
    const result = merge(account({ theme: 'light' }), guest({ theme: 'dark' }), { theme: { strategy: 'prefer_guest' } });
    assert.deepEqual(result.metadata, { theme: 'dark' });
    assert.deepEqual(result.decisions, [{ key: 'theme', strategy: 'prefer_guest', source: 'guest' }]);
  });

  it('unions arrays by the configured id field, account items first and winning on a shared id', () => {
    const result = merge(
      account({
        cart: [
          { sku: 'apple', qty: 1 },
          { sku: 'tea', qty: 2 },
        ],
      }),
      guest({
        cart: [
          { sku: 'pear', qty: 2 },
          { sku: 'apple', qty: 5 },
          { sku: 'pear', qty: 9 },
        ],
      }),
      { cart: { strategy: 'union', id: 'sku' } },
    );
    assert.deepEqual(result.metadata['cart'], [
      { sku: 'apple', qty: 1 },
      { sku: 'tea', qty: 2 },
      { sku: 'pear', qty: 2 },
    ]);
    assert.deepEqual(result.decisions, [{ key: 'cart', strategy: 'union', source: 'both' }]);
  });

  it('tells ids apart by type and keeps items that lack the id field, compared whole', () => {
    const result = merge(account({ items: [{ id: 1 }, { name: 'loose' }] }), guest({ items: [{ id: '1' }, { name: 'loose' }, { name: 'other' }] }), {
      items: { strategy: 'union', id: 'id' },
    });
    assert.deepEqual(result.metadata['items'], [{ id: 1 }, { name: 'loose' }, { id: '1' }, { name: 'other' }]);
  });

  it('unions arrays by value without an id field, objects equal whatever their key order', () => {
    const result = merge(
      account({ tags: ['a', 'b', { x: 1, y: [1, { p: 1, q: 2 }] }] }),
      guest({ tags: ['b', 'c', { y: [1, { q: 2, p: 1 }], x: 1 }, { x: 1, y: [{ p: 1, q: 2 }, 1] }, 'a'] }),
      { tags: { strategy: 'union' } },
    );
    // Array order still matters: [1, {…}] and [{…}, 1] are different items.
    assert.deepEqual(result.metadata['tags'], ['a', 'b', { x: 1, y: [1, { p: 1, q: 2 }] }, 'c', { x: 1, y: [{ p: 1, q: 2 }, 1] }]);
  });

  it('de-duplicates within one side too', () => {
    const result = merge(account({ tags: ['a', 'a'] }), guest({ tags: ['b', 'b'] }), { tags: { strategy: 'union' } });
    assert.deepEqual(result.metadata['tags'], ['a', 'b']);
  });

  it('keeps the account’s value when union meets something that is not an array on either side', () => {
    const strategies: MergeStrategies = { tags: { strategy: 'union' } };
    assert.deepEqual(merge(account({ tags: 'a' }), guest({ tags: ['b'] }), strategies), {
      metadata: { tags: 'a' },
      decisions: [{ key: 'tags', strategy: 'union', source: 'account' }],
    });
    assert.deepEqual(merge(account({ tags: ['a'] }), guest({ tags: { b: 1 } }), strategies).metadata, { tags: ['a'] });
  });

  it('adds numbers with sum, and falls back to the account’s value when either side is not a number', () => {
    const strategies: MergeStrategies = { visits: { strategy: 'sum' } };
    assert.deepEqual(merge(account({ visits: 2 }), guest({ visits: 3.5 }), strategies), {
      metadata: { visits: 5.5 },
      decisions: [{ key: 'visits', strategy: 'sum', source: 'both' }],
    });
    assert.deepEqual(merge(account({ visits: -2 }), guest({ visits: 2 }), strategies).metadata, { visits: 0 });
    assert.deepEqual(merge(account({ visits: '2' }), guest({ visits: 3 }), strategies), {
      metadata: { visits: '2' },
      decisions: [{ key: 'visits', strategy: 'sum', source: 'account' }],
    });
    assert.deepEqual(merge(account({ visits: 2 }), guest({ visits: '3' }), strategies).metadata, { visits: 2 });
    assert.deepEqual(merge(account({ visits: null }), guest({ visits: 3 }), strategies).metadata, { visits: null });
    assert.deepEqual(merge(account({}), guest({ visits: 'many' }), strategies).metadata, { visits: 'many' }, 'a key only the guest has is taken as it is');
  });

  it('takes the side written last with latest, and the account on a tie', () => {
    const strategies: MergeStrategies = { theme: { strategy: 'latest' } };
    assert.deepEqual(merge(account({ theme: 'light' }, 1000), guest({ theme: 'dark' }, 2000), strategies), {
      metadata: { theme: 'dark' },
      decisions: [{ key: 'theme', strategy: 'latest', source: 'guest' }],
    });
    assert.deepEqual(merge(account({ theme: 'light' }, 2000), guest({ theme: 'dark' }, 1000), strategies).metadata, { theme: 'light' });
    assert.deepEqual(merge(account({ theme: 'light' }, 1500), guest({ theme: 'dark' }, 1500), strategies), {
      metadata: { theme: 'light' },
      decisions: [{ key: 'theme', strategy: 'latest', source: 'account' }],
    });
  });

  it('applies each key’s own strategy in one merge and leaves its inputs untouched', () => {
    const accountSide = account({ cart: [{ sku: 'a' }], visits: 1, theme: 'light' }, 5);
    const guestSide = guest({ cart: [{ sku: 'b' }], visits: 2, theme: 'dark', coupon: 'X' }, 9);
    const before = structuredClone([accountSide, guestSide]);
    const result = merge(accountSide, guestSide, { cart: { strategy: 'union', id: 'sku' }, visits: { strategy: 'sum' }, theme: { strategy: 'latest' } });
    assert.deepEqual(result.metadata, { cart: [{ sku: 'a' }, { sku: 'b' }], visits: 3, theme: 'dark', coupon: 'X' });
    assert.deepEqual([accountSide, guestSide], before);
  });

  it('gives an empty result for two empty sides', () => {
    assert.deepEqual(merge(account({}), guest({})), { metadata: {}, decisions: [] });
  });
});

describe('readMergeStrategies', () => {
  it('reads names and {strategy, id} objects', () => {
    assert.deepEqual(readMergeStrategies({ cart: { strategy: 'union', id: 'sku' }, visits: 'sum', theme: { strategy: 'latest' } }), {
      cart: { strategy: 'union', id: 'sku' },
      visits: { strategy: 'sum' },
      theme: { strategy: 'latest' },
    });
    assert.deepEqual(readMergeStrategies({}), {});
  });

  it('refuses what is not an object of key → strategy', () => {
    for (const value of [null, [], 'union', 3])
      assert.throws(() => readMergeStrategies(value, 'guest.merge_strategies'), /guest\.merge_strategies must be a JSON object/);
  });

  it('refuses an unknown strategy and names the choices', () => {
    assert.throws(
      () => readMergeStrategies({ cart: 'concat' }),
      /"cart" has unknown strategy "concat"; use one of prefer_account, prefer_guest, union, sum, latest/,
    );
    assert.throws(() => readMergeStrategies({ cart: { id: 'sku' } }), /"cart" has unknown strategy undefined/);
  });

  it('refuses a spec that is neither a name nor an object, and unknown fields', () => {
    assert.throws(() => readMergeStrategies({ cart: 3 }), /"cart" must be a strategy name or \{strategy, id\}/);
    assert.throws(() => readMergeStrategies({ cart: null }), /"cart" must be a strategy name or \{strategy, id\}/);
    assert.throws(() => readMergeStrategies({ cart: { strategy: 'union', key: 'sku' } }), /"cart" has unknown field key/);
  });

  it('allows an id only as a field name, and only for union', () => {
    assert.throws(() => readMergeStrategies({ cart: { strategy: 'sum', id: 'sku' } }), /"cart": id is a field name, and only for union/);
    assert.throws(() => readMergeStrategies({ cart: { strategy: 'union', id: 7 } }), /"cart": id is a field name, and only for union/);
  });
});

describe('parseMergeStrategies (GUESTPASS_MERGE_STRATEGIES)', () => {
  it('parses JSON and refuses what is not JSON with an example', () => {
    assert.deepEqual(parseMergeStrategies('{"cart": "union", "visits": "sum"}'), { cart: { strategy: 'union' }, visits: { strategy: 'sum' } });
    assert.throws(() => parseMergeStrategies('{cart: union}'), /must be JSON such as/);
    assert.throws(() => parseMergeStrategies('{"cart": "nope"}'), /unknown strategy "nope"/);
  });
});
