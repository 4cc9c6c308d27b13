import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineWith, ev, HOUR, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const DAY = 24 * HOUR;
const MONDAY = T0 - 9 * HOUR; // Monday 00:00 UTC
const offHours = (findings: Parameters<typeof only>[0]) => only(findings, 'off_hours');

/** A business application: busy 09:00–17:00 UTC (30 requests a minute), one request every 3 minutes otherwise. */
function routine(days: number): DetectionInput[] {
  const events: DetectionInput[] = [];
  for (let t = MONDAY; t < MONDAY + days * DAY; t += MINUTE) {
    const hour = new Date(t).getUTCHours();
    if (hour >= 9 && hour < 17) for (let i = 0; i < 30; i++) events.push(ev.tokenIssued(t + i * 2000, 'backoffice'));
    else if ((t / MINUTE) % 3 === 0) events.push(ev.tokenIssued(t, 'backoffice'));
  }
  return events;
}

/** `perMinute` token requests a minute for `minutes`. */
function burst(at: number, perMinute: number, minutes = 10): DetectionInput[] {
  const count = perMinute * minutes;
  return Array.from({ length: count }, (_, i) => ev.tokenIssued(at + Math.floor((i * minutes * MINUTE) / count), 'backoffice'));
}

/** Telemetry from Paris: one batch of `perBatch` events every `everyS` seconds for `minutes`, through `sessions` sessions in turn. */
function parisTelemetry(at: number, minutes: number, perBatch: number, everyS = 60, sessions = ['phone']): DetectionInput[] {
  const events: DetectionInput[] = [];
  for (let t = at, i = 0; t < at + minutes * MINUTE; t += everyS * 1000, i++) {
    events.push(ev.ingested(t, { session: sessions[i % sessions.length]!, client: 'backoffice' }, NET.paris, perBatch));
  }
  return events;
}

describe('off_hours', () => {
  const weekAndADay = routine(8);
  const tuesdayNight = MONDAY + 8 * DAY + 3 * HOUR; // Tuesday 03:00 of the second week

  it('flags a client busy at 3 a.m. when a week of history says it sleeps then, within a minute, at low severity', () => {
    const findings = offHours(run(engineWith(), [...weekAndADay, ...burst(tuesdayNight, 100)]));
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.deepEqual(finding!.entity, { kind: 'client', id: 'backoffice' });
    assert.equal(finding!.severity, 'low');
    assert.ok(finding!.score <= 0.3, `weight 0.3 caps the score: ${finding!.score}`);
    assert.equal(finding!.evidence['hour_of_week_utc'], 24 + 3);
    assert.equal(finding!.evidence['basis'], 'hour_of_week');
    assert.ok(finding!.time - tuesdayNight < MINUTE, `decided within the first minute: ${(finding!.time - tuesdayNight) / 1000} s`);
  });

  it('stays quiet for the same volume during business hours, and for a spike at a busy hour', () => {
    assert.deepEqual(offHours(run(engineWith(), [...weekAndADay, ...burst(tuesdayNight + 7 * HOUR, 32)])), []);
    // Three times the usual at 11:00 is a lot, but not outside the client's hours.
    assert.deepEqual(offHours(run(engineWith(), [...weekAndADay, ...burst(tuesdayNight + 8 * HOUR, 90)])), []);
  });

  it('flags the same burst on the second day, against the hour of the day, before the hour-of-week slot is warm', () => {
    const findings = offHours(run(engineWith(), [...routine(1), ...burst(MONDAY + DAY + 3 * HOUR + 5 * MINUTE, 100)]));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.evidence['basis'], 'hour_of_day');
    assert.equal(findings[0]!.severity, 'low');
  });

  it('on the first day, flags a burst at local night past twice the floor, and nothing by day', () => {
    // The test networks are placed in Paris: 03:00 UTC is about 03:09 local solar time.
    const quiet = parisTelemetry(MONDAY + HOUR, 120, 2);
    const night = offHours(run(engineWith(), [...quiet, ...parisTelemetry(MONDAY + 3 * HOUR, 10, 3, 2, ['a', 'b', 'c'])]));
    assert.equal(night.length, 1);
    assert.equal(night[0]!.evidence['basis'], 'night_prior');
    assert.equal(night[0]!.evidence['country'], 'FR');
    const belowTwiceTheFloor = parisTelemetry(MONDAY + 3 * HOUR, 10, 2, 2, ['a', 'b', 'c']);
    assert.deepEqual(offHours(run(engineWith(), [...quiet, ...belowTwiceTheFloor])), [], 'below twice the floor');
    const byDay = parisTelemetry(MONDAY + 11 * HOUR, 10, 3, 2, ['a', 'b', 'c']);
    assert.deepEqual(offHours(run(engineWith(), [...parisTelemetry(MONDAY + 9 * HOUR, 120, 2), ...byDay])), [], 'by day');
  });

  it('raises one alert per burst and place: a second place waking up within the hour is its own alert', () => {
    const telemetry = (prefix: string, at: number, minutes: number, perBatch: number, everyS: number, sessions: string[]) =>
      Array.from({ length: Math.floor((minutes * 60) / everyS) }, (_, i) =>
        ev.ingested(at + i * everyS * 1000, { session: sessions[i % sessions.length]!, client: 'backoffice' }, prefix, perBatch),
      );
    const quiet = [...telemetry(NET.paris, MONDAY + HOUR, 120, 2, 60, ['p']), ...telemetry(NET.london, MONDAY + HOUR, 120, 2, 60, ['l'])];
    // 03:00 in Paris for 25 minutes; at 03:20 London (another country, the same solar hour) wakes up too.
    const paris = telemetry(NET.paris, MONDAY + 3 * HOUR, 25, 3, 2, ['a', 'b', 'c']);
    const london = telemetry(NET.london, MONDAY + 3 * HOUR + 20 * MINUTE, 10, 3, 2, ['x', 'y', 'z']);
    const findings = offHours(run(engineWith(), [...quiet, ...paris, ...london]));
    assert.deepEqual(
      findings.map((f) => f.evidence['country']),
      ['FR', 'GB'],
      'one alert per burst, however many minutes it lasts, and one per place',
    );
    assert.notEqual(findings[0]!.window_start, findings[1]!.window_start);
  });

  it('leaves out of its baselines what sessions another detector reported sent', () => {
    const days = (n: number) => routineParis(n);
    // Day 2, 03:00–04:00: a stolen session (its token reused) sends 25 events a minute, below the floor.
    const thief = { session: 'stolen', client: 'backoffice' };
    const night2 = MONDAY + DAY + 3 * HOUR;
    const stolen = [ev.reused(night2, thief, NET.paris), ...Array.from({ length: 300 }, (_, i) => ev.ingested(night2 + i * 12_000 + 500, thief, NET.paris, 5))];
    const burstDay3 = parisTelemetry(MONDAY + 2 * DAY + 3 * HOUR, 10, 3, 2, ['a', 'b', 'c']);
    const findings = offHours(run(engineWith(), [...days(3), ...stolen, ...burstDay3]));
    assert.equal(findings.length, 1);
    const expected = findings[0]!.evidence['expected_requests'] as { median: number };
    assert.ok(expected.median < 2, `the stolen session's hour was not learnt: median ${expected.median} requests a minute`);
  });

  it('catches over five minutes a burst too modest for any one minute of a place that is never silent', () => {
    const at = (day: number, hour: number) => MONDAY + day * DAY + hour * HOUR;
    // Four requests a minute all night, twenty by day, four events each.
    const history = [0, 1, 2].flatMap((d) => [...parisTelemetry(at(d, 0), 7 * 60, 4, 15), ...parisTelemetry(at(d, 9), 9 * 60, 4, 3)]);
    // Day 3, 03:00: eight more requests a minute for 15 minutes, through three sessions.
    const burst = parisTelemetry(at(2, 3), 15, 4, 7.5, ['a', 'b', 'c']);
    const findings = offHours(run(engineWith(), [...history, ...burst]));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.evidence['window_s'], 300, 'judged over five minutes');
    assert.ok(findings[0]!.time - at(2, 3) > MINUTE, 'no single minute gave it away');
    assert.deepEqual(offHours(run(engineWith(), history)), [], 'the same nights without it raise nothing');
  });

  it('stays quiet on the second day for business-hours volume at business hours', () => {
    assert.deepEqual(offHours(run(engineWith(), [...routine(1), ...burst(MONDAY + DAY + 10 * HOUR, 32)])), []);
  });
});

/** A Paris audience: one batch of 2 events a minute at night (00:00–07:00 UTC), ten by day (09:00–18:00). */
function routineParis(days: number): DetectionInput[] {
  const events: DetectionInput[] = [];
  for (let d = 0; d < days; d++) {
    events.push(...parisTelemetry(MONDAY + d * DAY, 7 * 60, 2));
    events.push(...parisTelemetry(MONDAY + d * DAY + 9 * HOUR, 9 * 60, 2, 6));
  }
  return events;
}
