import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountMinSketch } from './count-min.js';
import { HourOfWeekBaseline, hourOfWeek } from './hour-of-week.js';
import { HyperLogLog } from './hyperloglog.js';
import { SlotTable } from './lru.js';
import { medianMad, modifiedZ, RobustEwma, RobustWindow } from './robust.js';
import { SpaceSaving } from './space-saving.js';

const HOUR = 3_600_000;
const MONDAY = Date.UTC(2026, 2, 2);

describe('CountMinSketch', () => {
  it('never underestimates, and overestimates light keys by little', () => {
    const sketch = new CountMinSketch(1024, 4);
    const truth = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = `k${i % 3000}`;
      sketch.add(key);
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    sketch.add('heavy', 500);
    let excess = 0;
    for (const [key, count] of truth) {
      const estimate = sketch.estimate(key);
      assert.ok(estimate >= count, `${key}: ${estimate} < ${count}`);
      excess += estimate - count;
    }
    assert.ok(sketch.estimate('heavy') >= 500);
    // Bound: e/width × total ≈ 55 per key; conservative update does far better on average.
    assert.ok(excess / truth.size < 10, `mean excess ${excess / truth.size}`);
    sketch.clear();
    assert.equal(sketch.estimate('heavy'), 0);
  });
});

describe('HyperLogLog', () => {
  it('counts distinct keys within its standard error and ignores repeats', () => {
    for (const [precision, n] of [
      [7, 12],
      [8, 5000],
      [10, 50_000],
    ] as const) {
      const hll = new HyperLogLog(precision);
      for (let round = 0; round < 3; round++) for (let i = 0; i < n; i++) hll.add(`session-${i}`);
      const error = Math.abs(hll.count() - n) / n;
      assert.ok(error < (3 * 1.04) / Math.sqrt(2 ** precision), `p=${precision} n=${n}: ${hll.count()}`);
    }
  });
});

describe('SpaceSaving', () => {
  it('keeps every key heavier than total/k among a long tail, with stable slots', () => {
    const top = new SpaceSaving(32);
    const heavySlot = top.offer('nat');
    for (let i = 0; i < 10_000; i++) {
      top.offer(`tail-${i}`);
      if (i % 10 === 0) top.offer('nat');
      if (i % 25 === 0) top.offer('flood');
    }
    assert.equal(top.slotOf('nat'), heavySlot);
    const keys = top.top(2).map((entry) => entry.key);
    assert.deepEqual(keys, ['nat', 'flood']);
    assert.ok(top.count(heavySlot) >= 1001);
    top.decay(0.5);
    assert.ok(Math.abs(top.count(heavySlot) - top.top(1)[0]!.count) < 1e-9);
  });
});

describe('SlotTable', () => {
  it('finds every key it holds after growing and evicting, and forgets the least recently used', () => {
    const table = new SlotTable(5000, 16);
    const value = table.column(Float64Array);
    for (let i = 0; i < 12_000; i++) {
      const slot = table.acquire(`s${i}`);
      assert.equal(table.fresh, true);
      value.a[slot] = i;
      if (i % 3 === 0) table.acquire('keep');
    }
    assert.equal(table.size, 5000);
    assert.equal(table.evictions, 12_001 - 5000);
    // Held: 'keep' and the 4,999 newest keys.
    for (let i = 7001; i < 12_000; i++) {
      const slot = table.find(`s${i}`);
      assert.ok(slot >= 0 && value.a[slot] === i, `s${i}`);
    }
    assert.equal(table.find('s7000'), -1);
    assert.ok(table.find('keep') >= 0, 'a key used all along survives');
    table.acquire('s7001');
    assert.equal(table.fresh, false);
    assert.ok(table.approxBytes < 5000 * 40, `${table.approxBytes} bytes`);
  });
});

describe('robust statistics', () => {
  it('computes median and MAD exactly, untouched by one outlier', () => {
    const values = [1, 2, 2, 3, 4, 1000];
    const { median, mad } = medianMad(values, values.length, new Float64Array(8));
    assert.equal(median, 2.5);
    assert.equal(mad, 1);
    assert.ok(modifiedZ(1000, median, mad, 0.1) > 3.5);
    assert.ok(modifiedZ(4, median, mad, 0.1) < 3.5);
  });

  it('keeps a rolling window of the last observations', () => {
    const window = new RobustWindow(16);
    for (let i = 0; i < 100; i++) window.add(i < 90 ? 1000 : 5);
    window.add(5);
    window.add(5);
    assert.equal(window.current().median, 5);
  });

  it('RobustEwma is not dragged by a spike', () => {
    const ewma = new RobustEwma(0.2);
    for (let i = 0; i < 50; i++) ewma.add(100 + (i % 5));
    ewma.add(100_000);
    assert.ok(ewma.level < 110, `${ewma.level}`);
  });
});

describe('HourOfWeekBaseline', () => {
  it('numbers hours from Monday 00:00 UTC', () => {
    assert.equal(hourOfWeek(MONDAY), 0);
    assert.equal(hourOfWeek(MONDAY + 9 * HOUR), 9);
    assert.equal(hourOfWeek(MONDAY - HOUR), 167);
  });

  it('is cold, then recent, then compares an hour with the same hour a week earlier', () => {
    const baseline = new HourOfWeekBaseline({ recentSize: 60, recentWarmup: 30 });
    const minute = 60_000;
    assert.equal(baseline.expected(MONDAY), undefined);
    // A week of minutes: busy 09:00–17:00 (50 a minute), quiet otherwise (2).
    for (let t = MONDAY; t < MONDAY + 168 * HOUR; t += minute) {
      const hour = new Date(t).getUTCHours();
      baseline.observe(hour >= 9 && hour < 17 ? 50 : 2, t);
    }
    const nextMonday = MONDAY + 168 * HOUR;
    assert.equal(baseline.expected(nextMonday + 3 * HOUR, true)?.median, 2, 'a night slot learned the night');
    assert.equal(baseline.expected(nextMonday + 10 * HOUR, true)?.median, 50, 'a day slot learned the day');
    assert.equal(baseline.expected(nextMonday + 10 * HOUR)?.median, 50);
    baseline.reset();
    assert.equal(baseline.expected(nextMonday), undefined);
  });
});
