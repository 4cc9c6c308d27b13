import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, engineWith, ev, HOUR, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';
import { distanceKm } from './impossible-travel.js';

const travel = (findings: Parameters<typeof only>[0]) => only(findings, 'impossible_travel');
const s = (session: string, user = `user-${session}`) => ({ session, user });

describe('impossible_travel', () => {
  it('measures great-circle distances', () => {
    assert.ok(Math.abs(distanceKm(48.8566, 2.3522, -33.8688, 151.2093) - 16_960) < 50, 'Paris–Sydney');
    assert.ok(Math.abs(distanceKm(48.8566, 2.3522, 45.764, 4.8357) - 392) < 5, 'Paris–Lyon');
  });

  it('fires when a session jumps from Paris to Sydney within an hour', () => {
    const findings = travel(run(engineWith(), [ev.created(T0, s('a'), NET.paris), ev.refreshed(T0 + HOUR, s('a'), NET.sydney)]));
    assert.equal(findings.length, 1, 'the session; its user moved within that one session, so no second alert');
    const [bySession] = findings;
    assert.deepEqual(bySession!.entity, { kind: 'session', id: 'a' });
    assert.ok(bySession!.score >= 0.85, `score ${bySession!.score}`);
    assert.equal(bySession!.severity, 'critical', 'eighteen times the speed limit');
    assert.deepEqual([(bySession!.evidence['from'] as { country: string }).country, (bySession!.evidence['to'] as { country: string }).country], ['FR', 'AU']);
    assert.ok((bySession!.evidence['speed_kmh'] as number) > 16_000);
    assertPrivateEvidence(findings);
  });

  it('reads a guest transfer code redeemed in another country as the same person’s second device, not theft', () => {
    const user = 'guest-1';
    const transferred: DetectionInput = {
      type: 'session.transferred',
      time: T0 + 3 * MINUTE,
      session_id: 'phone',
      subject: user,
      client_id: 'web',
      network: { ip_prefix: NET.london, ip_version: 4 },
      from_session_id: 'laptop',
    };
    const events = [
      ev.created(T0, s('laptop', user), NET.paris),
      transferred,
      ev.created(T0 + 3 * MINUTE, s('phone', user), NET.london),
      ev.refreshed(T0 + 5 * MINUTE, s('laptop', user), NET.paris),
      ev.refreshed(T0 + 6 * MINUTE, s('phone', user), NET.london),
    ];
    assert.deepEqual(travel(run(engineWith(), events)), []);
    const withoutTransfer = events.filter((event) => event !== transferred);
    assert.ok(
      travel(run(engineWith(), withoutTransfer)).some((f) => f.entity.kind === 'user'),
      'the same sessions without the transfer are a user jumping countries',
    );
    const stolen = [...events, ev.refreshed(T0 + 7 * MINUTE, s('phone', user), NET.sydney, 2)];
    assert.ok(
      travel(run(engineWith(), stolen)).some((f) => f.entity.kind === 'session' && f.entity.id === 'phone'),
      'each session is still judged alone',
    );
  });

  it('fires on a stolen token replayed from another country minutes later', () => {
    const findings = travel(run(engineWith(), [ev.created(T0, s('a'), NET.paris), ev.refreshed(T0 + 3 * MINUTE, s('a'), NET.london)]));
    assert.ok(findings.some((f) => f.entity.kind === 'session'));
  });

  it('stays quiet for a traveller slower than a plane: Paris in the morning, New York nine hours later', () => {
    const events = [
      ev.created(T0, s('t'), NET.paris),
      ev.refreshed(T0 + 9 * HOUR, s('t'), NET.newYork),
      ev.refreshed(T0 + 9 * HOUR + MINUTE, s('t'), NET.newYork, 2),
    ];
    assert.deepEqual(travel(run(engineWith(), events)), []);
  });

  it('stays quiet for hops shorter than the minimum distance, and within the accuracy radii', () => {
    const events = [
      ev.created(T0, s('near'), NET.paris),
      ev.refreshed(T0 + MINUTE, s('near'), NET.versailles),
      ev.created(T0, s('coarse'), NET.coarseA),
      ev.refreshed(T0 + MINUTE, s('coarse'), NET.coarseB),
    ];
    assert.deepEqual(travel(run(engineWith(), events)), []);
  });

  it('stays quiet for a VPN user hopping between home and a datacenter exit', () => {
    const events = [0, 1, 2, 3, 4, 5].map((i) => ev.refreshed(T0 + i * MINUTE, s('vpn'), i % 2 === 0 ? NET.paris : NET.vpnFrankfurt, i + 1));
    assert.deepEqual(travel(run(engineWith(), events)), []);
  });

  it('still fires when a VPN sighting sits between home and a real jump', () => {
    const events = [
      ev.created(T0, s('v'), NET.paris),
      ev.refreshed(T0 + MINUTE, s('v'), NET.vpnFrankfurt),
      ev.refreshed(T0 + 2 * MINUTE, s('v'), NET.sydney, 2),
    ];
    assert.equal(travel(run(engineWith(), events)).filter((f) => f.entity.kind === 'session').length, 1);
  });

  it('discounts datacenter pairs instead of skipping them when configured', () => {
    const engine = engineWith({ detectors: { impossible_travel: { datacenter_factor: 0.5, track_users: false } } });
    const [finding] = travel(run(engine, [ev.created(T0, s('d'), NET.sydney), ev.refreshed(T0 + MINUTE, s('d'), NET.vpnFrankfurt)]));
    assert.equal(finding?.evidence['datacenter'], true);
    assert.ok(finding!.score <= 0.45, `score ${finding!.score}`);
  });

  it('follows a user across sessions', () => {
    const events = [ev.created(T0, s('phone', 'alice'), NET.paris), ev.created(T0 + 20 * MINUTE, s('laptop', 'alice'), NET.sydney)];
    assert.deepEqual(
      travel(run(engineWith(), events)).map((f) => f.entity),
      [{ kind: 'user', id: 'alice' }],
    );
  });

  it('does not take an older session on another device, in another city, for the user travelling', () => {
    // Alice signs in on her laptop in Paris; her phone's session, signed in days ago, refreshes in Sydney.
    const events = [ev.created(T0, s('laptop', 'alice'), NET.paris), ev.refreshed(T0 + 20 * MINUTE, s('phone', 'alice'), NET.sydney)];
    assert.deepEqual(travel(run(engineWith(), events)), []);
  });

  it('does not take a sign-in where the user was just before for a jump', () => {
    const events = [
      ev.refreshed(T0, s('phone', 'alice'), NET.sydney),
      ev.created(T0 + 10 * MINUTE, s('laptop', 'alice'), NET.paris),
      ev.created(T0 + 30 * MINUTE, s('phone-again', 'alice'), NET.sydney),
    ];
    assert.deepEqual(
      travel(run(engineWith(), events)).map((f) => f.entity),
      [{ kind: 'user', id: 'alice' }],
      'the laptop signing in in Paris is a jump; the phone signing in again in Sydney, where Alice just was, is not',
    );
  });

  it('reads a mobile carrier’s address as "somewhere in this country", and keeps the real place as the anchor', () => {
    const carrier = { detectors: { impossible_travel: { country_spread_warmup_s: 0, busy_network_sessions: 0, shared_network_origins: 0 } } };
    // Lyon home Wi-Fi, then the carrier's pool registered in Paris a minute later: no jump.
    assert.deepEqual(travel(run(engineWith(carrier), [ev.created(T0, s('p'), NET.lyon), ev.refreshed(T0 + MINUTE, s('p'), NET.carrierNat)])), []);
    // Paris Wi-Fi, nine hours later the home carrier's address (roaming), then New York Wi-Fi: a flight, not a jump.
    const roaming = [
      ev.created(T0, s('r'), NET.paris),
      ev.refreshed(T0 + 9 * HOUR, s('r'), NET.carrierNat),
      ev.refreshed(T0 + 9 * HOUR + 20 * MINUTE, s('r'), NET.newYork, 2),
    ];
    assert.deepEqual(travel(run(engineWith(carrier), roaming)), []);
    // A carrier's address does not excuse another country minutes later.
    assert.equal(travel(run(engineWith(carrier), [ev.created(T0, s('t'), NET.carrierNat), ev.refreshed(T0 + 5 * MINUTE, s('t'), NET.london)])).length, 1);
  });

  it('keeps the time a user was last seen in the country on a carrier, so a sign-in abroad minutes later is a jump', () => {
    const carrier = { detectors: { impossible_travel: { country_spread_warmup_s: 0, busy_network_sessions: 0, shared_network_origins: 0 } } };
    // Lyon yesterday, today at home on a line the carrier's ASN also runs (read as its pool), a thief in New York minutes later.
    const elsewhereBefore = [
      ev.created(T0, s('yesterday', 'victim'), NET.lyon),
      ev.created(T0 + 20 * HOUR, s('home', 'victim'), NET.carrierNat),
      ev.created(T0 + 20 * HOUR + 2 * MINUTE, s('thief', 'victim'), NET.newYork),
    ];
    // First seen on that line (the anchor is the carrier address itself), back there the next day, the thief minutes later.
    const thereBefore = [
      ev.created(T0, s('yesterday', 'victim'), NET.carrierNat),
      ev.created(T0 + 20 * HOUR, s('home', 'victim'), NET.carrierNat),
      ev.created(T0 + 20 * HOUR + 2 * MINUTE, s('thief', 'victim'), NET.newYork),
    ];
    for (const events of [elsewhereBefore, thereBefore]) {
      assert.deepEqual(
        travel(run(engineWith(carrier), events)).map((f) => f.entity),
        [{ kind: 'user', id: 'victim' }],
        'judged against two minutes ago, not against yesterday (5,800 km in 20 h would be a flight)',
      );
    }
  });

  it('reports a session going back and forth between two places once, and reads the home carrier abroad as roaming', () => {
    const carrier = { detectors: { impossible_travel: { country_spread_warmup_s: 0, busy_network_sessions: 0, shared_network_origins: 0 } } };
    // Paris, then Sydney, Paris and Sydney again an hour apart each: one move, repeated.
    const pingPong = [NET.paris, NET.sydney, NET.paris, NET.sydney].map((net, i) =>
      i === 0 ? ev.created(T0, s('pp'), net) : ev.refreshed(T0 + i * HOUR, s('pp'), net, i),
    );
    assert.deepEqual(
      travel(run(engineWith(carrier), pingPong)).map((f) => f.time),
      [T0 + HOUR],
    );
    // Paris Wi-Fi, a flight, the home carrier (home-routed), New York Wi-Fi, then carrier and Wi-Fi in turn.
    const trip = [NET.paris, NET.carrierNat, NET.newYork, NET.carrierNat, NET.newYork].map((net, i) =>
      i === 0 ? ev.created(T0, s('trip'), net) : ev.refreshed(T0 + 9 * HOUR + i * HOUR, s('trip'), net, i),
    );
    assert.deepEqual(travel(run(engineWith(carrier), trip)), []);
    // A third place is a new move.
    const third = [...pingPong, ev.refreshed(T0 + 4 * HOUR, s('pp'), NET.newYork, 4)];
    assert.equal(travel(run(engineWith(carrier), third)).length, 2);
  });

  it('learns a shared egress: the third session to jump to the same far network is not blamed', () => {
    const events = [NET.paris, NET.lyon, NET.versailles].flatMap((home, i) => [
      ev.created(T0 + i * HOUR, s(`phone-${i}`), home),
      ev.refreshed(T0 + i * HOUR + MINUTE, s(`phone-${i}`), NET.sydney),
    ]);
    assert.deepEqual(
      travel(run(engineWith(), events)).map((f) => f.entity.id),
      ['phone-0', 'phone-1'],
    );
    const never = engineWith({ detectors: { impossible_travel: { shared_network_sessions: 0 } } });
    assert.equal(travel(run(never, events)).length, 3);
  });

  it('honours a configured speed limit and minimum distance', () => {
    // Paris → Lyon (392 km, 352 km after the radii) in 30 minutes is 704 km/h.
    const events = [ev.created(T0, s('x'), NET.paris), ev.refreshed(T0 + 30 * MINUTE, s('x'), NET.lyon)];
    assert.deepEqual(travel(run(engineWith(), events)), []);
    // Paris → Lyon stays in one country: no warm-up, so a fresh detector reports it at once.
    const strict = engineWith({ detectors: { impossible_travel: { max_speed_kmh: 500, track_users: false, country_spread_warmup_s: 0 } } });
    assert.equal(travel(run(strict, events)).length, 1);
    const far = engineWith({ detectors: { impossible_travel: { max_speed_kmh: 500, min_distance_km: 400, track_users: false, country_spread_warmup_s: 0 } } });
    assert.deepEqual(travel(run(far, events)), []);
  });
});
