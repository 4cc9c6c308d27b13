import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, background, engineWith, ev, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const storms = (findings: Parameters<typeof only>[0]) => only(findings, 'refresh_storm');
const WARM = 40;
const AFTER = T0 + WARM * MINUTE;

/** `count` refreshes of one session, `gapMs` apart, from `start`. */
function hammer(session: string, start: number, count: number, gapMs: number, prefix: string = NET.attacker): DetectionInput[] {
  return Array.from({ length: count }, (_, i) => ev.refreshed(start + i * gapMs, { session }, prefix, i + 1));
}

describe('refresh_storm', () => {
  it('fires within seconds on a session refreshing every second, once warm', () => {
    const events = [...background({ minutes: WARM + 5 }), ...hammer('storm', AFTER, 120, 1000)];
    const findings = storms(run(engineWith(), events));
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.deepEqual(finding!.entity, { kind: 'session', id: 'storm' });
    assert.ok(finding!.time - AFTER <= 15_000, `detected after ${(finding!.time - AFTER) / 1000} s`);
    assert.ok((finding!.evidence['z'] as number) > 3.5);
    assert.ok((finding!.evidence['baseline'] as { median_rate: number }).median_rate <= 2);
    assertPrivateEvidence(findings);
  });

  it('stays quiet for two (or four) tabs refreshing at the same moment', () => {
    const tabs: DetectionInput[] = [];
    for (let k = 0; k < 4; k++) {
      const at = AFTER + k * 10 * MINUTE;
      tabs.push(...hammer('two-tabs', at, 2, 0, NET.paris), ...hammer('four-tabs', at, 4, 150, NET.paris));
    }
    assert.deepEqual(storms(run(engineWith(), [...background({ minutes: WARM + 40 }), ...tabs])), []);
  });

  it('stays quiet for a carrier NAT with hundreds of sessions at normal rates', () => {
    const nat = background({ minutes: 60, sessionsPerMinute: 15, prefixes: [NET.carrierNat], tag: 'nat', seed: 7 });
    assert.deepEqual(storms(run(engineWith(), [...background({ minutes: 60 }), ...nat])), []);
  });

  it('while warming up, fires only at twice the floor', () => {
    assert.deepEqual(storms(run(engineWith(), hammer('early', T0, 15, 2000))), [], '15 in a minute, cold');
    const [finding] = storms(run(engineWith(), hammer('blatant', T0, 30, 1000)));
    assert.equal(finding?.evidence['baseline'], 'warming up');
    assert.equal(finding?.evidence['refreshes'], 20);
  });

  it('does not learn from storms it reported, so a storm after hundreds of others is caught like the first', () => {
    const attack: DetectionInput[] = [];
    // 300 bots within ten minutes: far more storm windows than ordinary ones in the baseline's memory.
    for (let i = 0; i < 300; i++) attack.push(...hammer(`bot-${i}`, AFTER + i * 2000, 40, 1500));
    attack.push(...hammer('late', AFTER + 12 * MINUTE, 12, 4000));
    const findings = storms(run(engineWith(), [...background({ minutes: WARM + 15 }), ...attack]));
    // One alert per session and hour: a storm straddling the hour is two.
    const sessions = new Set(findings.map((f) => f.entity.id));
    assert.equal(sessions.size, 301);
    assert.ok(sessions.has('late'));
  });

  it('respects a raised floor', () => {
    const engine = engineWith({ detectors: { refresh_storm: { floor: 200 } } });
    assert.deepEqual(storms(run(engine, [...background({ minutes: WARM + 5 }), ...hammer('storm', AFTER, 120, 1000)])), []);
  });
});
