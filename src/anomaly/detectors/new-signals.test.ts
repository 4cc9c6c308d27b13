import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, CROWD, engineWith, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const network = (prefix: string) => ({ ip_prefix: prefix, ip_version: 4 as const });
const refused = (time: number, prefix: string, names: string[], client = 'web'): DetectionInput => ({
  type: 'scope.refused',
  time,
  client_id: client,
  network: network(prefix),
  grant: 'guest_session',
  refused: names,
  refused_count: names.length,
  requested_count: names.length,
});

describe('scope_probing', () => {
  it('names a network asking for one scope after another it may not have', () => {
    const names = ['admin', 'write', 'internal', 'users:write', 'billing:read'];
    const events = names.map((name, i) => refused(T0 + i * 20_000, NET.attacker, [name]));
    const findings = only(run(engineWith(), events), 'scope_probing');
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.entity, { kind: 'prefix', id: NET.attacker });
    assert.equal(findings[0]!.time, T0 + 3 * 20_000, 'at the fourth distinct name');
    assertPrivateEvidence(findings);
  });

  it('stays quiet for a stale app build refused one removed scope from everywhere, a carrier NAT retrying it included', () => {
    const events: DetectionInput[] = [];
    for (const [i, prefix] of CROWD.slice(0, 50).entries()) events.push(refused(T0 + i * 1000, prefix, ['sync:legacy'], 'mobile'));
    for (let i = 0; i < 60; i++) events.push(refused(T0 + MINUTE + i * 5000, NET.carrierNat, ['sync:legacy'], 'mobile'));
    assert.deepEqual(only(run(engineWith(), events), 'scope_probing'), []);
  });

  it('stays quiet for a developer with two typos', () => {
    const events = [refused(T0, NET.paris, ['profle']), refused(T0 + MINUTE, NET.paris, ['analytic']), refused(T0 + 2 * MINUTE, NET.paris, ['profle'])];
    assert.deepEqual(only(run(engineWith(), events), 'scope_probing'), []);
  });
});

const created = (time: number, prefix: string, session: string, client = 'web'): DetectionInput => ({
  type: 'session.created',
  time,
  client_id: client,
  subject: `u-${session}`,
  session_id: session,
  network: network(prefix),
  is_anonymous: true,
});
const revoked = (time: number, session: string, prefix?: string, client = 'web'): DetectionInput => ({
  type: 'session.revoked',
  time,
  client_id: client,
  subject: `u-${session}`,
  session_id: session,
  reason: 'logout',
  ...(prefix ? { network: network(prefix) } : {}),
});

describe('revocation_chain', () => {
  it('names a quiet network that re-creates each session within seconds of its revocation', () => {
    const events: DetectionInput[] = [];
    for (let i = 0; i < 6; i++) {
      const start = T0 + i * 30_000;
      events.push(created(start, NET.attacker, `s${i}`), revoked(start + 28_000, `s${i}`, i % 2 === 0 ? NET.attacker : undefined));
    }
    const findings = only(run(engineWith(), events), 'revocation_chain');
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.entity, { kind: 'prefix', id: NET.attacker });
    assert.ok((findings[0]!.evidence['links'] as number) >= 2);
    assertPrivateEvidence(findings);
  });

  it('builds no chain out of a busy carrier NAT, where some session is always being created', () => {
    const events: DetectionInput[] = [];
    // A session every 3 s for an hour; now and then someone logs out and someone else starts.
    for (let i = 0; i < 1200; i++) events.push(created(T0 + i * 3000, NET.carrierNat, `c${i}`));
    for (let i = 0; i < 20; i++) events.push(revoked(T0 + i * 3 * MINUTE + 1000, `c${i * 60}`, NET.carrierNat));
    assert.deepEqual(only(run(engineWith(), events), 'revocation_chain'), []);
  });

  /** A day of ordinary sessions across the crowd, `quickLogouts` of them logged out after 30 s. */
  const population = (quickLogouts: number): DetectionInput[] => {
    const events: DetectionInput[] = [];
    for (let i = 0; i < 2000; i++) {
      const at = T0 - 24 * 60 * MINUTE + i * 40_000;
      events.push(created(at, CROWD[i % CROWD.length]!, `p${i}`));
      if (i < quickLogouts) events.push(revoked(at + 30_000, `p${i}`, CROWD[i % CROWD.length]));
    }
    return events;
  };

  it('names a chain at its first re-creation when the revoked session was a throwaway', () => {
    const events = [...population(0), created(T0, NET.attacker, 's0'), revoked(T0 + 20_000, 's0', NET.attacker), created(T0 + 21_000, NET.attacker, 's1')];
    const findings = only(run(engineWith(), events), 'revocation_chain');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.time, T0 + 21_000);
    assert.equal(findings[0]!.evidence['revoked_session_lived_s'], 20);
  });

  it('waits for a second link where quick logouts are common', () => {
    const events = [...population(200), created(T0, NET.attacker, 's0'), revoked(T0 + 20_000, 's0', NET.attacker), created(T0 + 25_000, NET.attacker, 's1')];
    assert.deepEqual(only(run(engineWith(), events), 'revocation_chain'), []);
  });

  it('lets a person log out and back in once', () => {
    const events = [created(T0, NET.paris, 'a'), revoked(T0 + 10 * MINUTE, 'a', NET.paris), created(T0 + 10 * MINUTE + 5000, NET.paris, 'b')];
    assert.deepEqual(only(run(engineWith(), events), 'revocation_chain'), []);
  });
});

const userEvent = (type: 'session.created' | 'session.refreshed', time: number, prefix: string, session: string, user = 'alice'): DetectionInput =>
  type === 'session.created'
    ? { type, time, client_id: 'web', subject: user, session_id: session, network: network(prefix), is_anonymous: false }
    : { type, time, client_id: 'web', subject: user, session_id: session, network: network(prefix), generation: 1, is_anonymous: false };

describe('account_new_network', () => {
  const history = (): DetectionInput[] => [
    userEvent('session.created', T0, NET.paris, 'laptop'),
    userEvent('session.refreshed', T0 + 15 * MINUTE, NET.paris, 'laptop'),
    userEvent('session.refreshed', T0 + 30 * MINUTE, NET.paris, 'laptop'),
  ];

  it('reports a registered session moved to a hosting range abroad, medium', () => {
    const events = [...history(), userEvent('session.refreshed', T0 + 5 * 60 * MINUTE, NET.vpnFrankfurt, 'laptop')];
    const findings = only(run(engineWith(), events), 'account_new_network');
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0]!.entity, { kind: 'user', id: 'alice' });
    assert.equal(findings[0]!.severity, 'medium');
    assert.equal(findings[0]!.evidence['via'], 'session_moved');
    assertPrivateEvidence(findings);
  });

  it('reports a moved session in a new country at low severity, and says nothing of a new device or of leaving a VPN', () => {
    const moved = only(run(engineWith(), [...history(), userEvent('session.refreshed', T0 + 9 * 60 * MINUTE, NET.newYork, 'laptop')]), 'account_new_network');
    assert.equal(moved.length, 1);
    assert.equal(moved[0]!.severity, 'low');
    // A phone signed in before this history began shows up refreshing elsewhere: learnt, not reported.
    const phone = only(run(engineWith(), [...history(), userEvent('session.refreshed', T0 + 40 * MINUTE, NET.newYork, 'phone')]), 'account_new_network');
    assert.deepEqual(phone, []);
    // A login abroad is a person travelling: kept as history, not reported.
    const login = only(run(engineWith(), [...history(), userEvent('session.created', T0 + 9 * 60 * MINUTE, NET.newYork, 'hotel')]), 'account_new_network');
    assert.deepEqual(login, []);
    // Nor a login from a hosting range: IP databases label many home lines so, and it proved the password.
    const proxied = only(
      run(engineWith(), [...history(), userEvent('session.created', T0 + 9 * 60 * MINUTE, NET.vpnFrankfurt, 'office')]),
      'account_new_network',
    );
    assert.deepEqual(proxied, []);
  });

  it('ignores guests', () => {
    const events = history().map((e) => ({ ...e, is_anonymous: true }) as DetectionInput);
    events.push({ ...userEvent('session.refreshed', T0 + 5 * 60 * MINUTE, NET.vpnFrankfurt, 'laptop'), is_anonymous: true } as DetectionInput);
    assert.deepEqual(only(run(engineWith(), events), 'account_new_network'), []);
  });
});

describe('feedback that learns', () => {
  const wrong = (time: number): DetectionInput => ({ type: 'device.user_code_rejected', time, reason: 'unknown', network: network(NET.carrierNat) });
  const burst = (from: number, n: number) => Array.from({ length: n }, (_, i) => wrong(from + i * 6000));

  it('raises a network’s floor after two false positives: below it a finding is low and observe-only, shown in its evidence', () => {
    const engine = engineWith();
    const entity = { kind: 'prefix' as const, id: NET.carrierNat };
    assert.equal(only(run(engine, burst(T0, 11)), 'user_code_guessing').length, 1);
    engine.feedback('user_code_guessing', entity, 'false_positive');
    const once = only(run(engine, burst(T0 + 2 * 3_600_000, 11)), 'user_code_guessing');
    assert.equal((once[0]!.evidence['feedback'] as { score_floor: number }).score_floor, 0, 'one false positive: forgiven, not learnt');
    engine.feedback('user_code_guessing', entity, 'false_positive');
    engine.feedback('user_code_guessing', entity, 'false_positive');
    engine.feedback('user_code_guessing', entity, 'false_positive');
    const [below] = only(run(engine, burst(T0 + 4 * 3_600_000, 11)), 'user_code_guessing');
    assert.ok(below);
    assert.equal(below.severity, 'low');
    assert.deepEqual(below.evidence['feedback'], { false_positives: 4, confirmed: 0, score_floor: 0.6, weight: 1, below_floor: true });
    assert.deepEqual(engine.stats().feedback['user_code_guessing'], { raised_floor: 1, boosted: 0, downgraded: 1 });
    // A confirmation outweighs a false positive: the floor comes down a step.
    engine.feedback('user_code_guessing', entity, 'confirmed');
    const [after] = only(run(engine, burst(T0 + 6 * 3_600_000, 11)), 'user_code_guessing');
    assert.equal((after!.evidence['feedback'] as { score_floor: number }).score_floor, 0.4);
  });

  it('weighs a confirmed entity more, within bounds', () => {
    const engine = engineWith();
    const entity = { kind: 'prefix' as const, id: NET.carrierNat };
    for (let i = 0; i < 5; i++) engine.feedback('user_code_guessing', entity, 'confirmed');
    const [found] = only(run(engine, burst(T0, 11)), 'user_code_guessing');
    assert.ok(found);
    assert.equal((found.evidence['feedback'] as { weight: number }).weight, 1.5, 'at most 1.5×');
    assert.equal(engine.stats().feedback['user_code_guessing']?.boosted, 1);
  });
});
