import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { background, BOTNET, engineWith, ev, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';
import { poissonTail } from './failure-burst.js';

const stuffing = (findings: Parameters<typeof only>[0]) => only(findings, 'credential_stuffing');
const WARM = 70;
const AFTER = T0 + WARM * MINUTE;

/** `perMinute` failed logins a minute for `minutes`, each a new leaked account from the next botnet network. */
function trickle(perMinute: number, minutes: number, start = AFTER): DetectionInput[] {
  const count = perMinute * minutes;
  return Array.from({ length: count }, (_, i) => ev.loginFailed(start + Math.floor((i * minutes * MINUTE) / count), `leaked-${i}`, BOTNET[i % BOTNET.length]!));
}

describe('credential_stuffing: bursts of first failures', () => {
  it('computes Poisson tails', () => {
    assert.equal(poissonTail(0, 2), 1);
    assert.ok(Math.abs(poissonTail(1, 0.5) - (1 - Math.exp(-0.5))) < 1e-12);
    assert.ok(Math.abs(poissonTail(3, 1) - (1 - Math.exp(-1) * (1 + 1 + 0.5))) < 1e-12);
    assert.ok(poissonTail(40, 0.3) > 0 && poissonTail(40, 0.3) < 1e-50, 'no cancellation far in the tail');
  });

  it('fires within a minute on five attempts a minute from a botnet, far under every other floor', () => {
    const findings = stuffing(run(engineWith(), [...background({ minutes: WARM + 20 }), ...trickle(5, 20)]));
    const burst = findings.find((f) => f.evidence['check'] === 'distributed_burst');
    assert.ok(burst, 'a burst finding');
    assert.deepEqual(burst.entity, { kind: 'client', id: 'web' });
    assert.ok(burst.time - AFTER <= 60_000, `after ${(burst.time - AFTER) / 1000} s`);
    assert.ok((burst.evidence['p_value'] as number) < 1e-4);
    assert.equal(findings.filter((f) => f.evidence['check'] === 'distributed_burst').length, 1, 'one alert for the whole episode');
  });

  it('raises a new alert when a second attack starts after a quiet spell', () => {
    const second = AFTER + 40 * MINUTE;
    const events = [...background({ minutes: WARM + 60 }), ...trickle(6, 10), ...trickle(6, 10, second)].sort((a, b) => a.time - b.time);
    const bursts = stuffing(run(engineWith(), events)).filter((f) => f.evidence['check'] === 'distributed_burst');
    assert.equal(bursts.length, 2);
    assert.ok(bursts[1]!.time - second <= 60_000);
  });

  it('leaves stuffing from one network to the per-network check, and is not blinded by it', () => {
    const bulk = Array.from({ length: 150 }, (_, i) => ev.loginFailed(AFTER + i * 400, `bulk-${i}`, NET.attacker));
    const alone = stuffing(
      run(
        engineWith(),
        [...background({ minutes: WARM + 10 }), ...bulk].sort((a, b) => a.time - b.time),
      ),
    );
    assert.ok(alone.some((f) => f.entity.kind === 'prefix'));
    assert.equal(alone.filter((f) => f.evidence['check'] === 'distributed_burst').length, 0);
    const both = stuffing(
      run(
        engineWith(),
        [...background({ minutes: WARM + 10 }), ...bulk, ...trickle(5, 5)].sort((a, b) => a.time - b.time),
      ),
    );
    const burst = both.find((f) => f.evidence['check'] === 'distributed_burst');
    assert.ok(burst && burst.time - AFTER <= 60_000, 'the botnet is still seen within a minute');
  });

  it('stays quiet when forgetful users retry many times at once', () => {
    // Three people fail six times each within a minute: eighteen failures, three first failures.
    const retries = [NET.paris, NET.lyon, NET.london].flatMap((network, person) =>
      Array.from({ length: 6 }, (_, i) => ev.loginFailed(AFTER + person * 3000 + i * 8000, `forgetful-${person}`, network)),
    );
    const events = [...background({ minutes: WARM + 10 }), ...retries].sort((a, b) => a.time - b.time);
    assert.deepEqual(stuffing(run(engineWith(), events)), []);
  });

  it('stays quiet before its rate is learned', () => {
    const events = [...background({ minutes: 20 }), ...trickle(5, 3, T0 + 10 * MINUTE)].sort((a, b) => a.time - b.time);
    assert.equal(stuffing(run(engineWith(), events)).filter((f) => f.evidence['check'] === 'distributed_burst').length, 0);
  });
});
