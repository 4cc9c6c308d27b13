import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { DomainEvent } from '../../src/events/types.js';
import { CLI_ARGS, repoRoot } from '../../test/helpers/paths.js';
import { loopbackBase } from './live/http.js';
import { distanceKm } from './places/index.js';
import { replaySimulation } from './run.js';
import { SimLimiter, SimSession } from './server-model.js';
import { generateTraffic, type TrafficOptions } from './traffic.js';
import { ATTACK_KINDS } from './truth.js';

const SMALL: TrafficOptions = { seed: 7, hours: 2, sessionsPerDay: 6000 };

function digest(options: TrafficOptions): { hash: string; events: DomainEvent[] } {
  const events = [...generateTraffic(options).events];
  return { hash: createHash('sha256').update(JSON.stringify(events)).digest('hex'), events };
}

describe('simulator traffic', () => {
  it('generates the same events, byte for byte, for the same seed', () => {
    const a = digest(SMALL);
    const b = digest(SMALL);
    assert.ok(a.events.length > 1000, `a real amount of traffic (${a.events.length} events)`);
    assert.equal(a.hash, b.hash);
    assert.notEqual(digest({ ...SMALL, seed: 8 }).hash, a.hash, 'another seed gives other traffic');
  });

  it('emits events in event-time order, each with a /24 and never a raw address', () => {
    const { events } = digest(SMALL);
    for (let i = 1; i < events.length; i += 1) assert.ok(events[i]!.time >= events[i - 1]!.time, `event ${i} is out of order`);
    for (const event of events) {
      assert.match(event.network?.ip_prefix ?? '', /^\d+\.\d+\.\d+\.0\/24$/);
    }
  });

  it('labels every attack kind with its injection time and the entities a detector should name', () => {
    const traffic = generateTraffic({ ...SMALL, hours: 4, perKind: 2 });
    const events = [...traffic.events];
    const { start, end } = traffic.context;
    for (const kind of ATTACK_KINDS) {
      const labels = traffic.truth.labels.filter((l) => l.kind === kind);
      assert.ok(labels.length + traffic.truth.cutOff.filter((id) => id.startsWith(kind)).length === 2, `${kind}: two instances`);
      assert.ok(labels.length >= 1, `${kind}: at least one scored instance`);
      for (const label of labels) {
        assert.ok(label.injected >= start + 3_600_000 && label.injected < end, `${kind} injected after the warm-up`);
        assert.ok(label.until >= label.injected);
        assert.ok(label.entities.length > 0);
        assert.ok(
          events.some((e) => e.time === label.injected),
          `${kind}: an event at the injection time`,
        );
      }
    }
    const replay = traffic.truth.labels.find((l) => l.kind === 'token_replay')!;
    assert.ok(
      events.some((e) => e.type === 'token.reused' && e.session_id === replay.entities[0]!.id),
      'a token replay ends in token.reused for its session',
    );
    const swap = traffic.truth.labels.find((l) => l.kind === 'client_swap')!;
    assert.ok(events.some((e) => e.type === 'session.client_mismatch' && e.session_id === swap.entities[0]!.id));
  });

  it('includes the hard negatives: carrier NAT and its pools, VPN, travellers, roaming, offline flushes, relays, classrooms, two devices, two tabs and a flash crowd', () => {
    const traffic = generateTraffic({ seed: 3, hours: 8, sessionsPerDay: 8000, attacks: [] });
    let backlog = 0;
    for (const event of traffic.events) if (event.type === 'telemetry.ingested' && (event.ts_span_s ?? 0) > 3600) backlog += 1;
    assert.ok(backlog > 0, 'some telemetry batches carry an offline backlog spanning hours');
    const cohorts = traffic.truth.legitSessionsByCohort;
    const all = [
      'home',
      'login',
      'mobile_nat',
      'mobile_switch',
      'carrier_hop',
      'vpn',
      'traveller',
      'roaming',
      'offline_flush',
      'two_devices',
      'relay',
    ] as const;
    for (const cohort of [...all, 'classroom', 'two_tabs', 'flash_crowd'] as const) {
      assert.ok((cohorts.get(cohort) ?? 0) > 0, `${cohort} present`);
    }
    assert.equal(traffic.truth.labels.length, 0, 'no attack asked for, none injected');
  });

  it('never lets a legitimate traveller move faster than a plane, by the locations the table gives', () => {
    const traffic = generateTraffic({ seed: 5, hours: 24, sessionsPerDay: 3000, attacks: [] });
    const places = traffic.context.places;
    const seen = new Map<string, { time: number; prefix: string }>();
    let journeys = 0;
    for (const event of traffic.events) {
      if (!('session_id' in event) || !event.session_id || traffic.truth.cohorts.get(`session:${event.session_id}`) !== 'traveller') continue;
      const last = seen.get(event.session_id);
      const prefix = event.network!.ip_prefix;
      if (last && last.prefix !== prefix) {
        const a = places.locate(last.prefix)!;
        const b = places.locate(prefix)!;
        const km = distanceKm(a, b);
        if (km > 100) {
          journeys += 1;
          assert.ok(km / ((event.time - last.time) / 3_600_000) < 900, `${Math.round(km)} km in ${Math.round((event.time - last.time) / 60_000)} min`);
        }
      }
      seen.set(event.session_id, { time: event.time, prefix });
    }
    assert.ok(journeys > 0, 'some travellers did travel');
  });
});

describe('simulated server behaviour', () => {
  const web = { id: 'web', refreshGraceS: 10 };
  const network = { ip_prefix: '203.0.113.0/24', ip_version: 4 as const };

  it('answers two tabs refreshing the same token within the grace window with two refreshes and no reuse', () => {
    const session = new SimSession('s', 'u', web);
    session.refresh(1_000, network);
    const first = session.refresh(700_000, network, 1);
    const second = session.refresh(700_900, network, 1);
    assert.deepEqual([first.ok, second.ok], [true, true]);
    assert.deepEqual(
      [...first.events, ...second.events].map((e) => [e.type, 'generation' in e ? e.generation : undefined]),
      [
        ['session.refreshed', 2],
        ['session.refreshed', 2],
      ],
    );
  });

  it('revokes and emits token.reused for an older token outside the grace window, as the server does with grace 0', () => {
    const session = new SimSession('s', 'u', { id: 'mobile', refreshGraceS: 0 });
    session.refresh(1_000, network);
    const reused = session.refresh(1_500, network, 0);
    assert.equal(reused.ok, false);
    assert.deepEqual(
      reused.events.map((e) => e.type),
      ['session.revoked', 'token.reused'],
    );
    assert.deepEqual(session.refresh(2_000, network, 1).events, [], 'a revoked session fails silently');
  });

  it('revokes a session presented by another client and emits session.client_mismatch naming both', () => {
    const session = new SimSession('s', 'u', web);
    const { events } = session.refresh(1_000, network, 0, { id: 'partner', refreshGraceS: 0 });
    assert.deepEqual(
      events.map((e) => e.type),
      ['session.revoked', 'session.client_mismatch'],
    );
    assert.deepEqual(events[1], {
      type: 'session.client_mismatch',
      time: 1_000,
      client_id: 'partner',
      subject: 'u',
      session_id: 's',
      network,
      session_client_id: 'web',
    });
  });

  it('refuses requests past the limit like the server limiter, without counting refusals', () => {
    const limiter = new SimLimiter(60, 60_000);
    const allowed = Array.from({ length: 100 }, (_, i) => limiter.hit('ip', i * 100)).filter(Boolean).length;
    assert.equal(allowed, 60);
    assert.equal(limiter.hit('ip', 120_000), true, 'the next window has room again');
  });
});

describe('simulation through the detection engine', () => {
  it('catches every token replay and client swap in two hours of traffic, with no false positive from those detectors', { timeout: 120_000 }, async () => {
    const { report } = await replaySimulation({ seed: 11, hours: 2, sessionsPerDay: 6000, attacks: ['token_replay', 'client_swap'], perKind: 4 });
    for (const kind of ['token_replay', 'client_swap'] as const) {
      const summary = report.attacks.find((a) => a.kind === kind)!;
      const scored = report.detail.instances.filter((i) => i.kind === kind).length;
      assert.ok(scored >= 3, `${kind}: enough instances scored (${scored})`);
      assert.equal(summary.detected, summary.injected, `${kind}: all detected`);
    }
    assert.equal(report.detail.hard_invariant_false_positives, 0);
    assert.equal(report.detail.false_alerts_by_detector['token_reuse'] ?? 0, 0);
    assert.equal(report.detail.false_alerts_by_detector['client_mismatch'] ?? 0, 0);
    assert.ok(report.legit_sessions > 100);
  });
});

describe('guestpass simulate', () => {
  it('prints one JSON object with the issue’s fields under --report json', { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...CLI_ARGS, 'simulate', '--seed', '2', '--hours', '1', '--sessions-per-day', '3000', '--report', 'json'],
      {
        cwd: repoRoot,
        env: { ...process.env, GUESTPASS_LOG_LEVEL: 'silent' },
      },
    );
    assert.equal(stdout.trim().split('\n').length, 1, 'one line');
    const report = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report).sort(), ['attacks', 'false_alerts', 'false_alerts_per_10k', 'legit_sessions']);
    const attacks = report['attacks'] as Record<string, unknown>[];
    assert.ok(attacks.length > 0);
    for (const attack of attacks) assert.deepEqual(Object.keys(attack).sort(), ['detected', 'injected', 'kind', 'median_ttd_s']);
    assert.equal(typeof report['false_alerts_per_10k'], 'number');
  });

  it('refuses to drive a server that is not on this machine', () => {
    assert.throws(() => loopbackBase('https://auth.example.com'), /refuses auth\.example\.com/);
    assert.throws(() => loopbackBase('http://10.0.0.5:8080'), /only drives a server on this machine/);
    assert.equal(loopbackBase('http://127.0.0.1:8080').port, '8080');
    assert.equal(loopbackBase('http://[::1]:8080').hostname, '[::1]');
    assert.equal(loopbackBase('http://localhost:3000').hostname, 'localhost');
  });
});
