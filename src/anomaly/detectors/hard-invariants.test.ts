import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, background, engineWith, ev, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const victim = { session: 'victim', user: 'u-victim' };

describe('hard invariants', () => {
  it('reports a reused session token at once, certain and critical, with private evidence', () => {
    const engine = engineWith();
    // From Amsterdam two minutes after Paris: impossible travel too, which its own test covers.
    const findings = only(
      run(engine, [ev.created(T0, victim, NET.paris), ev.refreshed(T0 + MINUTE, victim, NET.paris, 1), ev.reused(T0 + 2 * MINUTE, victim, NET.attacker)]),
      'token_reuse',
    );
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding!.detector, 'token_reuse');
    assert.deepEqual(finding!.entity, { kind: 'session', id: 'victim' });
    assert.equal(finding!.score, 1);
    assert.equal(finding!.severity, 'critical');
    assert.equal(finding!.evidence['country'], 'NL');
    assert.match(String(finding!.evidence['prefix_hash']), /^[0-9a-f]{12}$/);
    assertPrivateEvidence(findings);
  });

  it('reports a session token presented by another client', () => {
    const findings = only(
      run(engineWith(), [ev.created(T0, victim, NET.paris), ev.clientMismatch(T0 + MINUTE, victim, NET.attacker, 'other-app')]),
      'client_mismatch',
    );
    assert.deepEqual(
      findings.map((f) => [f.detector, f.severity, f.evidence['session_client_id'], f.evidence['presenting_client_id']]),
      [['client_mismatch', 'high', 'web', 'other-app']],
    );
  });

  it('reports a DPoP key mismatch and a replayed proof', () => {
    const mismatch: DetectionInput = {
      type: 'dpop.key_mismatch',
      time: T0,
      session_id: 'bound',
      subject: 'u1',
      client_id: 'web',
      expected_jkt: 'a'.repeat(43),
      presented_jkt: 'b'.repeat(43),
    };
    const replay: DetectionInput = { type: 'dpop.proof_replayed', time: T0 + 5000, client_id: 'web', jkt: 'c'.repeat(43) };
    const findings = run(engineWith(), [mismatch, replay]);
    assert.deepEqual(
      findings.map((f) => [f.detector, f.entity.kind, f.evidence['kind'], f.score]),
      [
        ['dpop_mismatch', 'session', 'key_mismatch', 1],
        ['dpop_mismatch', 'client', 'proof_replayed', 1],
      ],
    );
  });

  it('reports one alert per session and window however often the token is replayed', () => {
    const events = [0, 1, 2, 3].map((i) => ev.reused(T0 + i * MINUTE, victim, NET.attacker));
    events.push(ev.reused(T0 + 61 * MINUTE, victim, NET.attacker));
    assert.equal(only(run(engineWith(), events), 'token_reuse').length, 2);
  });

  it('stays quiet on ordinary traffic, including sessions that use several clients and networks', () => {
    const events = background({ minutes: 30, sessionsPerMinute: 10 });
    events.push(ev.created(T0, { session: 'a', client: 'web' }, NET.paris), ev.created(T0, { session: 'b', client: 'ios', user: 'user-a' }, NET.carrierNat));
    const findings = run(engineWith(), events).filter((f) => ['token_reuse', 'client_mismatch', 'dpop_mismatch'].includes(f.detector));
    assert.deepEqual(findings, []);
  });
});
