import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, background, BOTNET, engineWith, ev, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const stuffing = (findings: Parameters<typeof only>[0]) => only(findings, 'credential_stuffing');
const WARM = 70;
const AFTER = T0 + WARM * MINUTE;

/** `count` failed logins spread evenly over `spanMs`, cycling through `accounts` and `prefixes`. */
function failures(count: number, spanMs: number, accounts: number, prefixes: readonly string[], start = AFTER): DetectionInput[] {
  return Array.from({ length: count }, (_, i) =>
    ev.loginFailed(start + Math.floor((i * spanMs) / count), `acct-${i % accounts}`, prefixes[i % prefixes.length]!),
  );
}

describe('credential_stuffing', () => {
  it('fires on stuffing from one network: many failures against a few accounts', () => {
    const events = [...background({ minutes: WARM + 5 }), ...failures(120, 2 * MINUTE, 5, [NET.attacker])];
    const findings = stuffing(run(engineWith(), events));
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.deepEqual(finding!.entity, { kind: 'prefix', id: NET.attacker });
    assert.equal(finding!.evidence['check'], 'stuffing');
    assert.ok(finding!.time - AFTER < 30_000, `after ${(finding!.time - AFTER) / 1000} s`);
    assertPrivateEvidence(findings);
  });

  it('fires on spraying from one network: one attempt each against many accounts, under the failure floor', () => {
    const events = [...background({ minutes: WARM + 5 }), ...failures(15, 2 * MINUTE, 15, [NET.attacker])];
    const [finding] = stuffing(run(engineWith(), events));
    assert.equal(finding?.evidence['check'], 'spraying');
    assert.ok((finding!.evidence['distinct_accounts'] as number) >= 10);
  });

  it('stays quiet for an office NAT where a few people mistype their passwords', () => {
    const office: DetectionInput[] = [];
    for (let person = 0; person < 6; person++) {
      const at = AFTER + person * 40_000;
      office.push(ev.loginFailed(at, `staff-${person}`, NET.paris), ev.loginFailed(at + 8000, `staff-${person}`, NET.paris));
      office.push(ev.loginSucceeded(at + 20_000, { session: `office-${person}` }, `staff-${person}`, NET.paris));
    }
    assert.deepEqual(stuffing(run(engineWith(), [...background({ minutes: WARM + 10 }), ...office])), []);
  });

  it('fires on low-and-slow stuffing spread over a botnet, naming the client attacked', () => {
    // 120 networks, one attempt each over three minutes: no network is anywhere near a floor.
    const events = [...background({ minutes: WARM + 5 }), ...failures(120, 3 * MINUTE, 120, BOTNET)];
    const findings = stuffing(run(engineWith(), events));
    assert.deepEqual(
      findings.map((f) => [f.entity, f.evidence['check']]),
      [[{ kind: 'client', id: 'web' }, 'distributed_burst']],
    );
    assert.ok(findings[0]!.time - AFTER <= 60_000, `after ${(findings[0]!.time - AFTER) / 1000} s`);
    assert.ok((findings[0]!.evidence['distinct_networks'] as number) >= 4);
  });

  it('still judges five-minute windows against the hour-of-week baseline when the burst check is off', () => {
    const events = [...background({ minutes: WARM + 5 }), ...failures(120, 3 * MINUTE, 120, BOTNET)];
    const findings = stuffing(run(engineWith({ detectors: { credential_stuffing: { distributed: { burst_p_value: 0 } } } }), events));
    assert.deepEqual(
      findings.map((f) => [f.entity, f.evidence['check']]),
      [[{ kind: 'client', id: 'web' }, 'distributed']],
    );
    assert.ok(findings[0]!.time - AFTER <= 60_000, `after ${(findings[0]!.time - AFTER) / 1000} s`);
    assert.ok((findings[0]!.evidence['distinct_networks'] as number) >= 8);
  });

  it('stays quiet on ordinary logins with the usual typos', () => {
    assert.deepEqual(stuffing(run(engineWith(), background({ minutes: 180, sessionsPerMinute: 20 }))), []);
  });
});
