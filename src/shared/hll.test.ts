import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXACT_LIMIT, HLL_RELATIVE_ERROR, HllSketch } from './hll.js';

/** Adds `count` ids `<prefix><n>` from `start`: similar short strings, the hardest input for a fast hash. */
function sketchOf(prefix: string, start: number, count: number): HllSketch {
  const sketch = new HllSketch();
  for (let n = start; n < start + count; n++) sketch.add(`${prefix}${n}`);
  return sketch;
}

function relativeError(estimate: number, actual: number): number {
  return Math.abs(estimate - actual) / actual;
}

describe('HllSketch', () => {
  it('should count exactly up to EXACT_LIMIT ids, duplicates once, through serialisation', () => {
    const sketch = sketchOf('user-', 0, EXACT_LIMIT);
    for (let n = 0; n < 100; n++) sketch.add(`user-${n}`);
    assert.equal(sketch.isExact, true);
    assert.equal(sketch.estimate(), EXACT_LIMIT);
    assert.equal(HllSketch.parse(sketch.serialize()).estimate(), EXACT_LIMIT);
    assert.equal(new HllSketch().estimate(), 0);
  });

  it('should stay within 1 % just past the exact range, where the registers take over', () => {
    for (const n of [EXACT_LIMIT + 1, 5000, 20_000]) {
      const sketch = sketchOf(`edge${n}-`, 0, n);
      assert.equal(sketch.isExact, false);
      assert.ok(relativeError(sketch.estimate(), n) < 0.01, `${n}: ${sketch.estimate()}`);
    }
  });

  it('should estimate 1M and 10M distinct ids within ±2 % (the standard error is about 0.8 %)', () => {
    assert.ok(HLL_RELATIVE_ERROR < 0.0082);
    for (const [prefix, n] of [
      ['0190a000-0000-7000-8000-', 1_000_000],
      ['g', 10_000_000],
    ] as const) {
      const estimate = sketchOf(prefix, 0, n).estimate();
      assert.ok(relativeError(estimate, n) <= 0.02, `${n} ids estimated as ${estimate}`);
    }
  });

  it('should merge as a union: commutative, and idempotent when a sketch is merged twice', () => {
    // 0…600k and 400k…1M overlap by 200k: the union is 1M.
    const a = () => sketchOf('m', 0, 600_000);
    const b = () => sketchOf('m', 400_000, 600_000);
    const ab = a().merge(b());
    const ba = b().merge(a());
    assert.equal(ab.serialize(), ba.serialize());
    assert.ok(relativeError(ab.estimate(), 1_000_000) <= 0.02, `union estimated as ${ab.estimate()}`);
    assert.equal(ab.merge(b()).serialize(), ba.serialize());
    // Small sketches merge exactly, and become registers once the union outgrows the exact range.
    const small = sketchOf('s', 0, 1500).merge(sketchOf('s', 1000, 500));
    assert.equal(small.estimate(), 1500);
    const grown = sketchOf('s', 0, 1500).merge(sketchOf('s', 1500, 1500));
    assert.equal(grown.isExact, false);
    assert.ok(relativeError(grown.estimate(), 3000) < 0.01);
  });

  it('should round-trip both forms and refuse text that is not a sketch', () => {
    const dense = sketchOf('d', 0, 50_000);
    const parsed = HllSketch.parse(dense.serialize());
    assert.equal(parsed.estimate(), dense.estimate());
    assert.match(dense.serialize(), /^h14:/);
    assert.match(sketchOf('x', 0, 3).serialize(), /^x:/);
    for (const bad of ['', 'h14:AAAA', 'x:AAA', `h12:${Buffer.alloc(4096).toString('base64')}`, 'y:AAAAAAAAAAA=']) {
      assert.throws(() => HllSketch.parse(bad), /not a serialised HllSketch/, bad);
    }
  });
});
