import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineWith, ev, HOUR, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';

const DAY = 24 * HOUR;
const offHours = (findings: Parameters<typeof only>[0]) => only(findings, 'off_hours');

/** A business application: busy 09:00–17:00 UTC (300 events per 10 minutes), a trickle at night. */
function routine(days: number): DetectionInput[] {
  const events: DetectionInput[] = [];
  const start = T0 - 9 * HOUR; // Monday 00:00
  for (let t = start; t < start + days * DAY; t += 10 * MINUTE) {
    const hour = new Date(t).getUTCHours();
    const perWindow = hour >= 9 && hour < 17 ? 300 : 3;
    for (let i = 0; i < perWindow; i++) events.push(ev.tokenIssued(t + Math.floor((i * 10 * MINUTE) / perWindow), 'backoffice'));
  }
  return events;
}

function burst(at: number, count: number): DetectionInput[] {
  return Array.from({ length: count }, (_, i) => ev.tokenIssued(at + Math.floor((i * 10 * MINUTE) / count), 'backoffice'));
}

/** `count` telemetry events in batches of 20 over 10 minutes, from a network in Paris. */
function telemetryFromParis(at: number, count: number): DetectionInput[] {
  return Array.from({ length: count / 20 }, (_, i) =>
    ev.ingested(at + Math.floor((i * 10 * MINUTE) / (count / 20)), { session: `bot-${i % 4}`, client: 'backoffice' }, NET.paris, 20),
  );
}

describe('off_hours', () => {
  const weekAndADay = routine(8);
  const tuesdayNight = T0 - 9 * HOUR + 8 * DAY + 3 * HOUR; // Tuesday 03:00 of the second week

  it('flags a client busy at 3 a.m. when a week of history says it sleeps then, at low severity', () => {
    const findings = offHours(run(engineWith(), [...weekAndADay, ...burst(tuesdayNight, 400)]));
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.deepEqual(finding!.entity, { kind: 'client', id: 'backoffice' });
    assert.equal(finding!.severity, 'low');
    assert.ok(finding!.score <= 0.3, `weight 0.3 caps the score: ${finding!.score}`);
    assert.equal(finding!.evidence['hour_of_week_utc'], 24 + 3);
  });

  it('stays quiet for the same volume during business hours', () => {
    assert.deepEqual(offHours(run(engineWith(), [...weekAndADay, ...burst(tuesdayNight + 7 * HOUR, 320)])), []);
  });

  it('flags the same burst on the second day, against the hour of the day, before the hour-of-week slot is warm', () => {
    const findings = offHours(run(engineWith(), [...routine(1), ...burst(T0 - 9 * HOUR + DAY + 3 * HOUR + 5 * MINUTE, 400)]));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.evidence['basis'], 'hour_of_day');
    assert.equal(findings[0]!.severity, 'low');
  });

  it('on the first day, flags a burst at local night past twice the floor, and nothing by day', () => {
    // The test networks are placed in Paris: 03:00 UTC is about 03:09 local solar time.
    const quiet = telemetryFromParis(T0 - 9 * HOUR + HOUR, 20).concat(telemetryFromParis(T0 - 9 * HOUR + 2 * HOUR, 20));
    const night = offHours(run(engineWith(), [...routine(0.1), ...quiet, ...telemetryFromParis(T0 - 9 * HOUR + 3 * HOUR, 400)]));
    assert.equal(night.length, 1);
    assert.equal(night[0]!.evidence['basis'], 'night_prior');
    assert.deepEqual(offHours(run(engineWith(), [...routine(0.1), ...telemetryFromParis(T0 - 9 * HOUR + 3 * HOUR, 180)])), [], 'below twice the floor');
    assert.deepEqual(offHours(run(engineWith(), [...routine(0.5), ...telemetryFromParis(T0 - 9 * HOUR + 11 * HOUR, 400)])), [], 'by day');
  });

  it('stays quiet on the second day for business-hours volume at business hours', () => {
    assert.deepEqual(offHours(run(engineWith(), [...routine(1), ...burst(T0 - 9 * HOUR + DAY + 10 * HOUR, 320)])), []);
  });
});
