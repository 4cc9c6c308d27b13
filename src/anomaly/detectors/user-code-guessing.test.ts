import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, engineWith, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const guessing = (findings: Parameters<typeof only>[0]) => only(findings, 'user_code_guessing');
const network = (prefix: string) => ({ ip_prefix: prefix, ip_version: 4 as const });
const wrong = (time: number, prefix: string): DetectionInput => ({ type: 'device.user_code_rejected', time, reason: 'unknown', network: network(prefix) });

describe('user_code_guessing', () => {
  it('fires on a burst of wrong user codes from one network, once per window', () => {
    const events = Array.from({ length: 30 }, (_, i) => wrong(T0 + i * 6000, NET.attacker));
    const findings = guessing(run(engineWith(), events));
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.entity, { kind: 'prefix', id: NET.attacker });
    assert.equal(findings[0]!.time, T0 + 9 * 6000, 'at the tenth wrong code');
    assert.equal(findings[0]!.evidence['floor'], 10);
    assertPrivateEvidence(findings);
  });

  it('stays quiet for people who mistype a code now and then, even many of them behind one network', () => {
    const events = Array.from({ length: 40 }, (_, i) => wrong(T0 + i * 2 * MINUTE, NET.carrierNat));
    assert.deepEqual(guessing(run(engineWith(), events)), []);
  });

  it('counts a burst across a window boundary as one burst', () => {
    const boundary = Math.ceil(T0 / (5 * MINUTE)) * 5 * MINUTE;
    const events = Array.from({ length: 12 }, (_, i) => wrong(boundary - 30_000 + i * 5000, NET.attacker));
    assert.equal(guessing(run(engineWith(), events)).length, 1);
  });

  it('can be turned off', () => {
    const events = Array.from({ length: 30 }, (_, i) => wrong(T0 + i * 1000, NET.attacker));
    assert.deepEqual(guessing(run(engineWith({ detectors: { user_code_guessing: { enabled: false } } }), events)), []);
  });
});
