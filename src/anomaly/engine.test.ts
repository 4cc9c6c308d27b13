import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { background, CROWD, engineWith, ev, HOUR, MINUTE, NET, only, run, T0 } from '../../test/fixtures/anomaly/streams.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { prefixAddress } from './engine.js';
import type { DetectionInput, Finding } from './types.js';

function hammer(session: string, start: number, count: number, gapMs: number): DetectionInput[] {
  return Array.from({ length: count }, (_, i) => ev.refreshed(start + i * gapMs, { session }, NET.attacker, i + 1));
}

describe('DetectionEngine', () => {
  it('gives the first address of a prefix to the resolver', () => {
    assert.equal(prefixAddress('203.0.113.0/24'), '203.0.113.0');
    assert.equal(prefixAddress('2001:db8:1::/48'), '2001:db8:1::');
  });

  it('reports a finding once per detector, entity and alert window', () => {
    const engine = engineWith({ detectors: { token_reuse: { alert_window_s: 600 } } });
    const events = [0, 2, 4, 9, 11, 12].map((minute) => ev.reused(T0 + minute * MINUTE, { session: 's' }, NET.paris));
    assert.deepEqual(
      only(run(engine, events), 'token_reuse').map((f) => (f.window_start - T0) / MINUTE),
      [0, 10],
    );
    assert.equal(engine.stats().findings['token_reuse'], 2);
  });

  it('suppresses findings about an allow-listed entity until the allow-listing ends', () => {
    const engine = engineWith();
    engine.allowList({ kind: 'session', id: 'fp' }, T0 + 2 * HOUR);
    assert.deepEqual(run(engine, [ev.reused(T0, { session: 'fp' }, NET.paris)]), []);
    assert.equal(run(engine, [ev.reused(T0 + 3 * HOUR, { session: 'fp' }, NET.paris)]).length, 1);
  });

  it('does not learn from allow-listed entities', () => {
    // As refresh-storm.test.ts, with the storms allow-listed instead of reported: if their
    // windows were learned, a later moderate storm would look normal.
    const warm = T0 + 40 * MINUTE;
    const engine = engineWith();
    const attack: DetectionInput[] = [];
    for (let i = 0; i < 300; i++) {
      engine.allowList({ kind: 'session', id: `bot-${i}` }, T0 + 10 * HOUR);
      attack.push(...hammer(`bot-${i}`, warm + i * 2000, 40, 1500));
    }
    attack.push(...hammer('late', warm + 12 * MINUTE, 12, 4000));
    const findings = only(run(engine, [...background({ minutes: 55 }), ...attack]), 'refresh_storm');
    assert.deepEqual(
      findings.map((f) => f.entity.id),
      ['late'],
    );
  });

  it('runs only enabled detectors', () => {
    const engine = engineWith({ detectors: { token_reuse: { enabled: false } } });
    assert.deepEqual(run(engine, [ev.reused(T0, { session: 's' }, NET.paris)]), []);
    assert.equal(engine.stats().findings['token_reuse'], undefined);
  });

  it('judges on event time alone: the same traffic ten years later gives the same findings', () => {
    const story = [
      ...background({ minutes: 45 }),
      ...hammer('storm', T0 + 41 * MINUTE, 60, 1000),
      ev.created(T0 + 42 * MINUTE, { session: 'trip' }, NET.paris),
      ev.refreshed(T0 + 43 * MINUTE, { session: 'trip' }, NET.sydney),
    ];
    const shift = 3653 * 24 * HOUR;
    const strip = (findings: Finding[]) => findings.map((f) => ({ ...f, time: f.time % HOUR, window_start: f.window_start % HOUR, evidence: {} }));
    const now = run(engineWith(), story);
    const later = run(
      engineWith(),
      story.map((event) => ({ ...event, time: event.time + shift })),
    );
    assert.ok(now.length >= 2);
    assert.deepEqual(strip(later), strip(now));
  });

  it('never reads a clock: no Date.now, new Date() or performance.now in the engine, detectors or sketches', () => {
    const dirs = ['', 'detectors', 'sketches'].map((dir) => join(repoRoot, 'src/anomaly', dir));
    const files = dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
        .map((name) => join(dir, name)),
    );
    const engineFiles = files.filter((file) => /engine|config|detectors|sketches|table-geo/.test(file));
    assert.ok(engineFiles.length > 15);
    for (const file of engineFiles) assert.doesNotMatch(readFileSync(file, 'utf8'), /Date\.now|new Date\(\)|performance\.now|hrtime/, file);
  });

  it('stays quiet on a day of hard negatives: NAT, VPN, travellers, two tabs, a flash crowd', () => {
    const events: DetectionInput[] = [...background({ minutes: 180, sessionsPerMinute: 12 })];
    events.push(...background({ minutes: 180, sessionsPerMinute: 6, prefixes: [NET.carrierNat], tag: 'nat', seed: 21 }));
    for (let k = 0; k < 12; k++) {
      const t = T0 + k * 10 * MINUTE;
      events.push(ev.refreshed(t, { session: 'tabs' }, NET.paris, 2 * k + 1), ev.refreshed(t + 40, { session: 'tabs' }, NET.paris, 2 * k + 2));
      events.push(ev.refreshed(t + 5000, { session: 'vpn' }, k % 2 ? NET.vpnFrankfurt : NET.paris, k + 1));
    }
    events.push(ev.created(T0, { session: 'flyer' }, NET.paris), ev.refreshed(T0 + 8 * HOUR, { session: 'flyer' }, NET.newYork));
    events.push(ev.created(T0 + 30 * MINUTE, { session: 'commuter' }, NET.paris), ev.refreshed(T0 + 35 * MINUTE, { session: 'commuter' }, NET.versailles));
    // Flash crowd: a launch at 11:00 brings twenty times the sign-ups for a quarter of an hour, from everywhere.
    for (let i = 0; i < 15 * 240; i++) events.push(ev.created(T0 + 2 * HOUR + Math.floor(i * 250), { session: `crowd-${i}` }, CROWD[(i * 7) % CROWD.length]!));
    const engine = engineWith();
    assert.deepEqual(run(engine, events), []);
    assert.equal(engine.stats().events, events.length);
  });
});
