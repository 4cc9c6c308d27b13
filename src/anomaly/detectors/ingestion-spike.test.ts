import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, background, engineWith, ev, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
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

  it('stays quiet for an engaged user sending several times the median', () => {
    assert.deepEqual(spikes(run(engineWith(), [...background({ minutes: WARM + 5 }), ...batches('keen', 25, 10_000, 5)])), []);
  });
});
