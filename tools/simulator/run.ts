import type { DetectionConfigInput } from '../../src/anomaly/config-schema.js';
import { DetectionEngine } from '../../src/anomaly/engine.js';
import { createDefaultGeoResolver, type GeoSettings } from '../../src/anomaly/geo/index.js';
import type { Finding } from '../../src/anomaly/types.js';
import { evaluate, type SimulationReport } from './evaluate.js';
import { generateTraffic, type TrafficOptions } from './traffic.js';

export interface ReplayOptions extends TrafficOptions {
  /** Detector overrides, as GUESTPASS_ANOMALY_CONFIG takes them. */
  config?: DetectionConfigInput;
  /** Which location databases (the server's options); the bundled DB-IP Lite when empty. */
  geoSettings?: GeoSettings;
  /** See evaluate.ts. @default 600_000 */
  horizonMs?: number;
}

export interface ReplayResult {
  report: SimulationReport;
  /** Wall-clock time of generation plus detection (ms). */
  wallMs: number;
  /** Wall-clock time spent inside the engine (ms). */
  engineMs: number;
}

/**
 * The default mode of `guestpass simulate`: generate the labelled traffic and feed it, in
 * event-time order, through the same engine and geo resolver the server uses, then score the
 * findings against the labels. Days of traffic take seconds: nothing waits for a clock.
 */
export async function replaySimulation(options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const geo = createDefaultGeoResolver(options.geoSettings ?? {});
  await geo.ready();
  const engine = new DetectionEngine({ ...(options.config ? { config: options.config } : {}), geo });
  const traffic = generateTraffic(options);
  const findings: Finding[] = [];
  let events = 0;
  let engineMs = 0;
  for (const event of traffic.events) {
    events += 1;
    const t = performance.now();
    const found = engine.process(event);
    engineMs += performance.now() - t;
    if (found.length > 0) findings.push(...found);
  }
  const report = evaluate(traffic.truth, findings, events, {
    ...(options.horizonMs !== undefined ? { horizonMs: options.horizonMs } : {}),
    geo,
    places: traffic.context.places,
  });
  return { report, wallMs: performance.now() - started, engineMs };
}
