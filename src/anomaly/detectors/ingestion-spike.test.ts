import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, background, engineWith, ev, HOUR, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const spikes = (findings: Parameters<typeof only>[0]) => only(findings, 'ingestion_spike');
const WARM = 30;
const AFTER = T0 + WARM * MINUTE;

/** One telemetry batch of `size` events every `gapMs` for `minutes`. */
function batches(session: string, size: number, gapMs: number, minutes: number, rejected = 0): DetectionInput[] {
  return Array.from({ length: Math.floor((minutes * MINUTE) / gapMs) }, (_, i) => ev.ingested(AFTER + i * gapMs, { session }, NET.paris, size, rejected));
}

describe('ingestion_spike', () => {
  it('fires on a session pumping a hundred times the usual telemetry', () => {
    const findings = spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...batches('pump', 100, 1000, 3)]));
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.entity, { kind: 'session', id: 'pump' });
    assert.ok(findings[0]!.time - AFTER <= 20_000);
    assertPrivateEvidence(findings);
  });

  it('counts rejected events too: a flood of invalid events is a flood', () => {
    assert.equal(spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...batches('junk', 0, 1000, 2, 100)])).length, 1);
  });

  it('counts an offline backlog at the rate its events happened, and a pump of fresh events in full', () => {
    const flush = (session: string, spanS: number): DetectionInput[] =>
      Array.from({ length: 4 }, (_, i) => ({ ...ev.ingested(AFTER + i * 5_000, { session }, NET.paris, 500), ts_span_s: spanS }) as DetectionInput);
    assert.deepEqual(
      spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...flush('back-online', 4 * 3600)])),
      [],
      'four hours of events in a minute',
    );
    assert.equal(spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...flush('pump', 3)])).length, 1, 'events of the last seconds');
  });

  it('judges a server relay (a client-credentials subject) by its own history, and reports it leaving that', () => {
    const relay = { session: 'shop-backend', user: 'shop-backend', client: 'shop-backend' };
    const steady = Array.from({ length: 60 * 3 }, (_, i) => ev.ingested(T0 + i * 20_000, relay, NET.paris, 300 + (i % 5) * 20));
    assert.deepEqual(spikes(run(engineWith(), [...background({ minutes: 60 }), ...steady])), [], 'a thousand events a minute, every minute');
    const surge = Array.from({ length: 30 }, (_, i) => ev.ingested(T0 + HOUR + i * 2_000, relay, NET.paris, 500));
    const found = spikes(run(engineWith(), [...background({ minutes: 62 }), ...steady, ...surge]));
    assert.equal(found.length, 1);
    assert.equal(found[0]!.evidence['relay'], true);
  });

  it('stays quiet for an engaged user sending several times the median', () => {
    assert.deepEqual(spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...batches('keen', 25, 10_000, 5)])), []);
  });
});
