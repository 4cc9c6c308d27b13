/**
 * `npm run bench -- anomaly`: the detection engine's memory for one million distinct sessions
 * (default configuration, heap and typed arrays measured after a full GC) and its cost per
 * event (p50/p99/max of `engine.process`, after warm-up) on a realistic mix, with the fixed
 * test table and with the bundled DB-IP resolver the server uses.
 */
import { createDefaultGeoResolver } from '../src/anomaly/geo/index.js';
import { DetectionEngine } from '../src/anomaly/engine.js';
import type { GeoResolver } from '../src/anomaly/types.js';
import { collector, generateLoad, loadGeo, publicNetworkOf, usedBytes } from './anomaly-load.js';

const MB = 2 ** 20;

async function memory(): Promise<void> {
  const gc = await collector();
  const geo = loadGeo();
  gc();
  const before = usedBytes();
  const engine = new DetectionEngine({ geo });
  const started = performance.now();
  generateLoad(1_000_000, (event) => engine.process(event));
  const seconds = (performance.now() - started) / 1000;
  gc();
  const measured = usedBytes() - before;
  const { approxBytes, events } = engine.stats();
  console.log(`memory: 1,000,000 distinct sessions, ${events} events in ${seconds.toFixed(1)} s`);
  console.log(`  measured (heapUsed + arrayBuffers after GC): ${(measured / MB).toFixed(1)} MB of the 256 MB budget`);
  console.log(`  engine accounting (stats().approxBytes):     ${(approxBytes / MB).toFixed(1)} MB`);
}

function cost(label: string, geo: GeoResolver, network?: (i: number) => string): void {
  const engine = new DetectionEngine({ geo });
  // Warm-up: baselines past their warm-up, JIT settled.
  generateLoad(100_000, (event) => engine.process(event), network ? { network } : {});
  const samples: number[] = [];
  generateLoad(
    200_000,
    (event) => {
      const t0 = process.hrtime.bigint();
      engine.process(event);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    },
    { first: 100_000, ...(network ? { network } : {}) },
  );
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  console.log(
    `cost per event (${label}), ${samples.length} events: mean ${mean.toFixed(1)} µs, p50 ${at(0.5)} µs, p99 ${at(0.99)} µs, p99.9 ${at(0.999)} µs, max ${at(1)} µs`,
  );
}

export async function main(): Promise<void> {
  await memory();
  cost('fixed geo table', loadGeo());
  const dbip = createDefaultGeoResolver({});
  await dbip.ready();
  cost('bundled DB-IP Lite, cached per prefix', dbip, publicNetworkOf);
}
