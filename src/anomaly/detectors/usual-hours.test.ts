import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPrivateEvidence, engineWith, MINUTE, NET, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionInput } from '../types.js';
import { isUnusualHour, learnHour, newUsualHours, usualHourRanges } from './usual-hours.js';

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** T0 is 09:00 UTC; this is midnight UTC of its day. */
const MIDNIGHT = T0 - 9 * HOUR;

const network = (prefix: string) => ({ ip_prefix: prefix, ip_version: 4 as const });
const seen = (type: 'session.created' | 'session.refreshed', time: number, prefix: string, session: string): DetectionInput =>
  type === 'session.created'
    ? { type, time, client_id: 'web', subject: 'alice', session_id: session, network: network(prefix), is_anonymous: false }
    : { type, time, client_id: 'web', subject: 'alice', session_id: session, network: network(prefix), generation: 1, is_anonymous: false };

/** Alice's laptop in Paris, every half hour from 09:00 to 18:30 UTC, for a week. */
function officeWeek(): DetectionInput[] {
  const events: DetectionInput[] = [seen('session.created', MIDNIGHT + 9 * HOUR, NET.paris, 'laptop')];
  for (let day = 0; day < 7; day++) {
    for (let t = MIDNIGHT + day * DAY + 9 * HOUR; t < MIDNIGHT + day * DAY + 19 * HOUR; t += 30 * MINUTE) {
      if (t > MIDNIGHT + 9 * HOUR) events.push(seen('session.refreshed', t, NET.paris, 'laptop'));
    }
  }
  return events;
}
const EIGHTH_DAY = MIDNIGHT + 7 * DAY;

describe('usual hours of a registered user', () => {
  it('calls an hour unusual only after five days, and not next to the usual ones', () => {
    const hours = newUsualHours();
    for (let day = 0; day < 4; day++) for (let h = 9; h <= 18; h++) learnHour(hours, MIDNIGHT + day * DAY + h * HOUR);
    assert.equal(isUnusualHour(hours, EIGHTH_DAY + 3 * HOUR), false, 'four days are not a habit yet');
    for (let h = 9; h <= 18; h++) learnHour(hours, MIDNIGHT + 4 * DAY + h * HOUR);
    assert.equal(isUnusualHour(hours, EIGHTH_DAY + 3 * HOUR), true);
    assert.equal(isUnusualHour(hours, EIGHTH_DAY + 8 * HOUR), false, 'an hour early is next to a usual one');
    assert.deepEqual(usualHourRanges(hours), ['09-18']);
  });

  it('raises a session moved abroad at 03:00, an hour the user never keeps, by one severity', () => {
    const events = [...officeWeek(), seen('session.refreshed', EIGHTH_DAY + 3 * HOUR, NET.newYork, 'laptop')];
    const findings = only(run(engineWith(), events), 'account_new_network');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'medium');
    assert.equal(findings[0]!.evidence['unusual_hour_utc'], 3);
    assert.deepEqual(findings[0]!.evidence['usual_hours_utc'], ['09-18']);
    assertPrivateEvidence(findings);
  });

  it('leaves the same move at 10:00, a usual hour, at low severity', () => {
    const events = [...officeWeek(), seen('session.refreshed', EIGHTH_DAY + 10 * HOUR, NET.newYork, 'laptop')];
    const findings = only(run(engineWith(), events), 'account_new_network');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'low');
    assert.equal(findings[0]!.evidence['unusual_hour_utc'], undefined);
  });

  it('reports an unusual hour alone only while another detector holds the user as suspect', () => {
    const night = [seen('session.refreshed', EIGHTH_DAY + 2 * HOUR + 50 * MINUTE, NET.paris, 'laptop')];
    assert.deepEqual(only(run(engineWith(), [...officeWeek(), ...night]), 'account_new_network'), []);
    // A login in New York ten minutes after Paris: impossible travel names alice, then Paris again.
    const suspect = [
      ...night,
      seen('session.created', EIGHTH_DAY + 3 * HOUR, NET.newYork, 'phone'),
      seen('session.refreshed', EIGHTH_DAY + 3 * HOUR + 5 * MINUTE, NET.paris, 'laptop'),
    ];
    const all = run(engineWith(), [...officeWeek(), ...suspect]);
    assert.ok(
      all.some((f) => f.detector === 'impossible_travel' && f.entity.kind === 'user'),
      'alice is suspect',
    );
    const findings = only(all, 'account_new_network');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'low');
    assert.equal(findings[0]!.evidence['via'], 'unusual_hour');
    assert.deepEqual(findings[0]!.evidence['usual_hours_utc'], ['09-18']);
  });
});
