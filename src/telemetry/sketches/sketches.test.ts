import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DDSketch, RELATIVE_ACCURACY } from './ddsketch.js';
import { DISTINCT_RELATIVE_ERROR, DistinctSketch } from './distinct.js';

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('DistinctSketch', () => {
  it('should count small sets exactly, duplicates once', () => {
    const sketch = new DistinctSketch();
    for (const id of ['a', 'b', 'c', 'a', 'b']) sketch.add(id);
    assert.equal(sketch.estimate(), 3);
    assert.equal(DistinctSketch.parse(sketch.serialize()).estimate(), 3);
  });

  it('should estimate large sets within three standard errors, through serialisation', () => {
    for (const n of [1000, 50_000]) {
      const sketch = new DistinctSketch();
      for (let i = 0; i < n; i += 1) sketch.add(`session-${i}`);
      const estimate = DistinctSketch.parse(sketch.serialize()).estimate();
      assert.ok(Math.abs(estimate - n) / n < 3 * DISTINCT_RELATIVE_ERROR, `${estimate} for ${n}`);
    }
  });

  it('should merge as a union, whichever side is exact', () => {
    const small = new DistinctSketch();
    const large = new DistinctSketch();
    for (let i = 0; i < 100; i += 1) small.add(`id-${i}`);
    for (let i = 50; i < 5050; i += 1) large.add(`id-${i}`);
    const left = DistinctSketch.parse(small.serialize());
    left.merge(large);
    const right = DistinctSketch.parse(large.serialize());
    right.merge(small);
    for (const merged of [left, right]) assert.ok(Math.abs(merged.estimate() - 5050) / 5050 < 3 * DISTINCT_RELATIVE_ERROR, String(merged.estimate()));
    const exactUnion = new DistinctSketch();
    exactUnion.merge(small);
    exactUnion.merge(DistinctSketch.parse(small.serialize()));
    assert.equal(exactUnion.estimate(), 100);
  });

  it('should refuse text that is not a sketch', () => {
    assert.throws(() => DistinctSketch.parse('nonsense'));
  });
});

describe('DDSketch', () => {
  it('should answer quantiles within its relative accuracy', () => {
    const next = random(7);
    const sketch = new DDSketch();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      // Log-normal-ish latencies from 1 ms to a few seconds.
      const value = Math.exp(next() * 8);
      values.push(value);
      sketch.add(value);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const expected = exactQuantile(values, q);
      const got = sketch.quantile(q)!;
      assert.ok(Math.abs(got - expected) / expected <= RELATIVE_ACCURACY + 1e-9, `p${q * 100}: ${got} vs ${expected}`);
    }
    assert.equal(sketch.count, 20_000);
  });

  it('should merge minute sketches into the same answer as one sketch', () => {
    const next = random(11);
    const whole = new DDSketch();
    const parts = [new DDSketch(), new DDSketch(), new DDSketch()];
    for (let i = 0; i < 3000; i += 1) {
      const value = 1 + next() * 500;
      whole.add(value);
      parts[i % 3]!.add(value);
    }
    const merged = new DDSketch();
    for (const part of parts) merged.merge(DDSketch.fromJSON(part.toJSON()));
    for (const q of [0.5, 0.95, 0.99]) assert.equal(merged.quantile(q), whole.quantile(q));
    assert.ok(Math.abs(merged.sum - whole.sum) < 1e-6);
  });

  it('should handle zero, negative values and an empty sketch', () => {
    const sketch = new DDSketch();
    assert.equal(sketch.quantile(0.5), undefined);
    for (const value of [-10, 0, 0, 10]) sketch.add(value);
    assert.ok(Math.abs(sketch.quantile(0)! + 10) <= 10 * RELATIVE_ACCURACY);
    assert.equal(sketch.quantile(0.5), 0);
    assert.ok(Math.abs(sketch.quantile(1)! - 10) <= 10 * RELATIVE_ACCURACY);
  });
});
