import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { HotHistogram } from './hot-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations into prom-client's Histogram and into HotHistogram: the /metrics text of each. */
async function both(labelNames: string[], observe: (histogram: Histogram<string>) => void): Promise<[string, string]> {
  const texts: string[] = [];
  for (const Kind of [Histogram, HotHistogram]) {
    const registry = new Registry();
    const histogram = new Kind({ name: 'test_seconds', help: 'Test.', labelNames, buckets: BUCKETS, registers: [registry] });
    observe(histogram);
    texts.push(await registry.metrics());
  }
  return texts as [string, string];
}

describe('HotHistogram', () => {
  it('should expose exactly what prom-client’s Histogram exposes for the same labelled observations', async () => {
    const [expected, actual] = await both(['route', 'method'], (histogram) => {
      for (const [i, value] of [0.0004, 0.001, 0.02, 0.5, 3, 0, 0.07].entries()) {
        histogram.observe({ route: i % 2 ? '/a' : '/b', method: 'POST' }, value);
        histogram.observe({ method: 'GET', route: '/a' }, value * 2);
      }
    });
    assert.match(actual, /test_seconds_bucket\{le="0.01",route="\/a",method="POST"\} 2/);
    assert.equal(actual, expected);
  });

  it('should expose the same as prom-client without labels, before any observation, and after a reset', async () => {
    assert.deepEqual(...(await both([], () => {})));
    const [expected, actual] = await both([], (histogram) => {
      for (const value of [0.0001, 0.05, 7]) histogram.observe(value);
    });
    assert.match(actual, /test_seconds_count 3/);
    assert.equal(actual, expected);
    assert.deepEqual(
      ...(await both(['route'], (histogram) => {
        histogram.observe({ route: '/a' }, 0.2);
        histogram.reset();
        histogram.observe({ route: '/b' }, 0.02);
      })),
    );
  });

  it('should refuse a value that is not a finite number, as prom-client does', () => {
    const histogram = new HotHistogram({ name: 'test_seconds', help: 'Test.', buckets: BUCKETS, registers: [] });
    assert.throws(() => histogram.observe(Number.NaN), TypeError);
  });
});
