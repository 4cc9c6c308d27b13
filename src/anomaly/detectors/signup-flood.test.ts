import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertPrivateEvidence,
  background,
  BIG_ISP,
  CLOUD,
  CROWD,
  engineWith,
  ev,
  MINUTE,
  NET,
  only,
  prng,
  run,
  T0,
} from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const floods = (findings: Parameters<typeof only>[0]) => only(findings, 'signup_flood');
const WARM = 40;
const AFTER = T0 + WARM * MINUTE;

/** `perMinute` guest creations a minute for `minutes`, each from one of `prefixes` in turn. */
function creations(tag: string, prefixes: readonly string[], start: number, minutes: number, perMinute: number, seed = 3): DetectionInput[] {
  const random = prng(seed);
  const total = minutes * perMinute;
  return Array.from({ length: total }, (_, i) =>
    ev.created(start + Math.floor(((i + random()) * minutes * MINUTE) / total), { session: `${tag}-${i}` }, prefixes[i % prefixes.length]!),
  );
}

describe('signup_flood', () => {
  it('fires on a flood from one /24 within seconds, and on its ASN within a minute', () => {
    const events = [...background({ minutes: WARM + 5 }), ...creations('flood', [NET.attacker], AFTER, 3, 100)];
    const findings = floods(run(engineWith(), events));
    const prefix = findings.find((f) => f.entity.kind === 'prefix');
    const asn = findings.find((f) => f.entity.kind === 'asn');
    assert.deepEqual(prefix?.entity, { kind: 'prefix', id: NET.attacker });
    assert.ok(prefix!.time - AFTER <= 20_000, `prefix after ${(prefix!.time - AFTER) / 1000} s`);
    assert.equal(prefix!.evidence['check'], 'creations');
    assert.equal(prefix!.evidence['country'], 'NL');
    assert.deepEqual(asn?.entity, { kind: 'asn', id: '60781' });
    assert.ok(asn!.time - AFTER <= 60_000, `ASN after ${(asn!.time - AFTER) / 1000} s`);
    assertPrivateEvidence(findings);
  });

  it('fires on an ASN-wide flood spread thinly over many /24s, without blaming any one of them', () => {
    const events = [...background({ minutes: WARM + 5 }), ...creations('cloud', CLOUD, AFTER, 4, 150)];
    const findings = floods(run(engineWith(), events));
    assert.deepEqual(
      findings.map((f) => f.entity),
      [{ kind: 'asn', id: '14061' }],
    );
  });

  it('stays quiet for a flash crowd: thirty times the usual sign-ups, from hundreds of networks', () => {
    const usual = [...CROWD, ...BIG_ISP];
    const events = [...background({ minutes: WARM + 15, prefixes: usual }), ...creations('crowd', usual, AFTER, 10, 300, 9)];
    assert.deepEqual(floods(run(engineWith(), events)), []);
  });

  it('without the widening correction, the same flash crowd would blame the big ISP', () => {
    // The control for the test above: a crowd from the ISP's networks alone is not a crowd.
    // (The concentration check is off here: it would excuse a spread-out crowd on its own.)
    const events = [...background({ minutes: WARM + 15, prefixes: [...CROWD, ...BIG_ISP] }), ...creations('isp', BIG_ISP, AFTER, 10, 80, 9)];
    assert.deepEqual(
      floods(run(engineWith({ detectors: { signup_flood: { asn_min_per_network: 0 } } }), events)).map((f) => f.entity),
      [{ kind: 'asn', id: '3215' }],
    );
  });

  it('blames a national ISP when its sign-ups pile onto a few of its networks, not when a crowd spreads over its many', () => {
    const usual = background({ minutes: WARM + 15, prefixes: [...CROWD, ...BIG_ISP] });
    // 80 a minute over the ISP's 100 networks: a crowd from one country (under one a network).
    assert.deepEqual(floods(run(engineWith(), [...usual, ...creations('crowd', BIG_ISP, AFTER, 10, 80, 9)])), []);
    // The same 80 a minute from five of its networks: 16 each, below the per-network floor, but concentrated.
    const concentrated = floods(run(engineWith(), [...usual, ...creations('bots', BIG_ISP.slice(0, 5), AFTER, 10, 80, 9)]));
    assert.deepEqual(
      concentrated.map((f) => f.entity),
      [{ kind: 'asn', id: '3215' }],
    );
    assert.ok((concentrated[0]!.evidence['per_network'] as number) >= 3, JSON.stringify(concentrated[0]!.evidence));
  });

  it('stays quiet for a busy carrier NAT: hundreds of sessions an hour behind one /24', () => {
    const nat = background({ minutes: 90, sessionsPerMinute: 8, prefixes: [NET.carrierNat], tag: 'nat', seed: 5 });
    assert.deepEqual(floods(run(engineWith(), [...background({ minutes: 90 }), ...nat])), []);
  });

  it('fires when a known network suddenly carries far more distinct sessions than it ever has', () => {
    const regulars = background({ minutes: WARM + 10, sessionsPerMinute: 2, prefixes: [NET.london], tag: 'london', seed: 11 });
    // Sessions minted elsewhere, then all used from London within five minutes.
    const farmed = Array.from({ length: 400 }, (_, i) => ev.refreshed(AFTER + Math.floor((i * 5 * MINUTE) / 400), { session: `farmed-${i}` }, NET.london, 3));
    const findings = floods(run(engineWith(), [...background({ minutes: WARM + 10 }), ...regulars, ...farmed]));
    const [finding] = findings;
    assert.equal(findings.length, 1);
    assert.equal(finding!.evidence['check'], 'distinct_sessions');
    assert.deepEqual(finding!.entity, { kind: 'prefix', id: NET.london });
    assertPrivateEvidence(findings);
  });

  it('while warming up, needs twice the floor', () => {
    assert.deepEqual(floods(run(engineWith(), creations('slow', [NET.attacker], T0, 1, 30))), []);
    const [finding] = floods(run(engineWith(), creations('fast', [NET.attacker], T0, 1, 60)));
    assert.equal(finding?.evidence['expected'], 'warming up');
  });
});
