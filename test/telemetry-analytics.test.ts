import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { event, markMerged, markPromoted, newGuest, sendEvents, telemetryClient } from './helpers/telemetry.js';

const MINUTE = 60_000;

/**
 * One client's small world, all in the hour after BASE:
 *   g1  guest: pricing.view, signup.start (error); promoted in place at +10 min; then dashboard.view as registered
 *   g2  guest: pricing.view (staging); merged into g4 at +32 min
 *   g3  guest: page.view twice (one error); never converts
 *   g4  an account from the start (registered): dashboard.view
 * duration_ms are 10, 20, … 70 in that order. Conversions are dated in the past through
 * markPromoted/markMerged (test/helpers/telemetry.ts); the real flow has its own test.
 */
describeEachDatabase('telemetry analytics', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  const BASE = Math.floor((Date.now() - 3 * 3_600_000) / MINUTE) * MINUTE;
  const ids: Record<'g1' | 'g2' | 'g3' | 'g4', string> = { g1: '', g2: '', g3: '', g4: '' };
  const window = () => `client=${clientId}&from=${BASE}&to=${BASE + 3_600_000}`;
  const query = async (path: string, extra = '') => {
    const response = await admin.call('GET', `/admin/api/analytics/${path}?${window()}${extra}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };

  before(async () => {
    // The test compacts the rollups itself, and must find appended rows when it does.
    server = await startTestServer({ database, env: { GUESTPASS_TELEMETRY_COMPACT_INTERVAL: '0' } });
    admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
    const [g1, g2, g3, g4] = await Promise.all([1, 2, 3, 4].map(() => newGuest(server, clientId)));
    Object.assign(ids, { g1: g1!.userId, g2: g2!.userId, g3: g3!.userId, g4: g4!.userId });
    const at = (minutes: number) => BASE + minutes * MINUTE;
    const send = async (token: string, events: Record<string, unknown>[]) =>
      assert.equal((await sendEvents(server, token, events)).body.accepted, events.length);
    /** A registered user's token: the same session refreshed once the user row says registered. */
    const registeredToken = async (sessionToken: string) => (await refreshGuest(server, clientId, sessionToken)).body.access_token;

    await send(g1!.token, [
      event({ name: 'pricing.view', ts: at(0), context: { app_version: '1.0.0', deployment: 'prod' }, metrics: { duration_ms: 10 } }),
      event({
        name: 'signup.start',
        ts: at(1),
        context: { app_version: '1.0.0', deployment: 'prod' },
        metrics: { duration_ms: 20 },
        error: { type: 'ValidationError' },
      }),
    ]);
    await send(g2!.token, [event({ name: 'pricing.view', ts: at(2), context: { app_version: '1.1.0', deployment: 'staging' }, metrics: { duration_ms: 40 } })]);
    await send(g3!.token, [
      event({
        name: 'page.view',
        ts: at(3),
        context: { app_version: '1.1.0', deployment: 'prod' },
        metrics: { duration_ms: 50 },
        error: { type: 'TypeError' },
      }),
      event({ name: 'page.view', ts: at(4), context: { app_version: '1.1.0', deployment: 'prod' }, metrics: { duration_ms: 60 } }),
    ]);
    await markPromoted(server, g1!.userId, at(10));
    await send(await registeredToken(g1!.sessionToken), [
      event({ name: 'dashboard.view', ts: at(20), context: { app_version: '1.1.0', deployment: 'prod' }, metrics: { duration_ms: 30 } }),
    ]);
    await markPromoted(server, g4!.userId, at(-60));
    await send(await registeredToken(g4!.sessionToken), [
      event({ name: 'dashboard.view', ts: at(40), context: { app_version: '1.1.0', deployment: 'prod' }, metrics: { duration_ms: 70 } }),
    ]);
    await markMerged(server, g2!.userId, g4!.userId, at(32));
  });
  after(() => server.stop());

  it('should count events over time by name, with filters', async () => {
    const total = await query('events');
    const sum = (series: { events: number; errors?: number }[], field: 'events' | 'errors' = 'events') =>
      series.reduce((acc, point) => acc + (point[field] ?? 0), 0);
    // Hour buckets: the hour after BASE touches one or two of them.
    assert.equal(sum(total['series'] as { events: number }[]), 7);
    assert.equal(sum(total['series'] as { events: number; errors: number }[], 'errors'), 2);

    const byName = await query('events', '&group_by=name&interval=day');
    const counts = Object.fromEntries(
      (byName['series'] as { group: { name: string }; events: number }[]).reduce(
        (acc, point) => acc.set(point.group.name, (acc.get(point.group.name) ?? 0) + point.events),
        new Map<string, number>(),
      ),
    );
    assert.deepEqual(counts, { 'pricing.view': 2, 'signup.start': 1, 'page.view': 2, 'dashboard.view': 2 });

    const staging = await query('events', '&deployment=staging&interval=day');
    assert.equal(sum(staging['series'] as { events: number }[]), 1);
    const perMinute = await query('events', '&interval=minute&name=page.view');
    assert.deepEqual(
      (perMinute['series'] as { time: number; events: number }[]).map((point) => [point.time - BASE, point.events]),
      [
        [3 * MINUTE, 1],
        [4 * MINUTE, 1],
      ],
    );
    const byOriginAndCountry = await query('events', '&group_by=origin,country,user_type&interval=day');
    const groups = (byOriginAndCountry['series'] as { group: Record<string, string | null>; events: number }[]).map((point) => [
      point.group['origin'],
      point.group['country'],
      point.group['user_type'],
      point.events,
    ]);
    assert.deepEqual(groups.sort(), [
      ['localhost:3000', null, 'guest', 5],
      ['localhost:3000', null, 'registered', 2],
    ]);
  });

  it('should count distinct sessions and users, and people with merged guests counted once', async () => {
    const distinct = await query('distinct');
    assert.deepEqual([distinct['sessions'], distinct['users'], distinct['people']], [4, 4, 3]);
    const byType = await query('distinct', '&group_by=user_type');
    const users = Object.fromEntries(
      (byType['groups'] as { group: { user_type: string }; users: number }[]).map((entry) => [entry.group.user_type, entry.users]),
    );
    assert.deepEqual(users, { guest: 3, registered: 2 });
  });

  it('should give duration_ms p50, p95 and p99 within the sketch accuracy', async () => {
    const metrics = await query('metrics');
    const overall = metrics['overall'] as { count: number; mean: number; p50: number; p95: number; p99: number };
    assert.equal(overall.count, 7);
    assert.equal(overall.mean, 40);
    // Rank q·(n − 1), rounded down (DDSketch's definition): of 7 values p95 and p99 are the 6th.
    for (const [got, expected] of [
      [overall.p50, 40],
      [overall.p95, 60],
      [overall.p99, 60],
    ] as const)
      assert.ok(Math.abs(got - expected) / expected <= 0.01, `${got} vs ${expected}`);
    const byVersion = await query('metrics', '&group_by=app_version');
    const p50s = Object.fromEntries(
      (byVersion['groups'] as { group: { app_version: string }; p50: number }[]).map((entry) => [entry.group.app_version, Math.round(entry.p50)]),
    );
    assert.deepEqual(p50s, { '1.0.0': 10, '1.1.0': 50 });
    // Over time: one point per interval that has the metric, adding up to the whole.
    const overTime = await query('metrics', '&interval=minute');
    const series = overTime['series'] as { time: number; count: number; p50: number; p95: number; p99: number }[];
    assert.ok(series.length >= 2, JSON.stringify(series));
    assert.equal(
      series.reduce((total, point) => total + point.count, 0),
      7,
    );
    for (const point of series) {
      assert.equal(point.time % MINUTE, 0);
      assert.ok(point.p50 <= point.p95 && point.p95 <= point.p99);
    }
    assert.deepEqual(
      series.map((point) => point.time),
      [...series.map((point) => point.time)].sort((a, b) => a - b),
    );
    assert.equal(metrics['series'], undefined, 'no series unless an interval is asked for');
  });

  it('should give the error rate by app version', async () => {
    const errors = await query('errors');
    const rates = Object.fromEntries(
      (errors['groups'] as { group: { app_version: string }; events: number; error_rate: number }[]).map((entry) => [
        entry.group.app_version,
        [entry.events, entry.error_rate],
      ]),
    );
    assert.deepEqual(rates, { '1.0.0': [2, 0.5], '1.1.0': [5, 0.2] });
  });

  it('should split guests from registered users', async () => {
    const split = await query('split');
    assert.deepEqual(split['guest'], { events: 5, errors: 2, error_rate: 0.4, sessions: 3, users: 3, share_of_events: 5 / 7 });
    assert.deepEqual(split['registered'], { events: 2, errors: 0, error_rate: 0, sessions: 2, users: 2, share_of_events: 2 / 7 });
  });

  it('should count converted guests with their pre-conversion events (promoted in place and merged)', async () => {
    const conversion = await query('conversion');
    assert.equal(conversion['guests'], 3);
    assert.equal(conversion['converted'], 2);
    assert.equal(conversion['conversion_rate'], 2 / 3);
    // g1: 10 min after its first event; g2: 30 min (merged at +32, first event at +2).
    assert.equal(conversion['median_time_to_convert_ms'], 20 * MINUTE);
    assert.deepEqual(
      (conversion['events_before_conversion'] as { name: string; users: number; events: number }[]).map(({ name, users, events }) => [name, users, events]),
      [
        ['pricing.view', 2, 2],
        ['signup.start', 1, 1],
      ],
    );
  });

  it('should answer the same once the appended rollup rows are compacted', async () => {
    const before = await Promise.all(
      ['events', 'distinct', 'metrics', 'split', 'errors'].map((path) => query(path, path === 'events' ? '&group_by=name,app_version&interval=minute' : '')),
    );
    assert.ok((await server.ctx.telemetry.compactRollups()) > 0);
    const compacted = await Promise.all(
      ['events', 'distinct', 'metrics', 'split', 'errors'].map((path) => query(path, path === 'events' ? '&group_by=name,app_version&interval=minute' : '')),
    );
    assert.deepEqual(compacted, before);
  });

  it('should show a person its own events and its merged guest’s', async () => {
    const listed = await admin.call('GET', `/admin/api/users/${ids.g4}/events`);
    assert.deepEqual((listed.body['user_ids'] as string[]).sort(), [ids.g2, ids.g4].sort());
    assert.deepEqual(
      (listed.body['events'] as { name: string; user_id: string }[]).map((row) => [row.name, row.user_id]),
      [
        ['dashboard.view', ids.g4],
        ['pricing.view', ids.g2],
      ],
    );
  });

  it('should need an admin token and say which query parameter is wrong', async () => {
    const guest = await newGuest(server, clientId);
    const asGuest = await fetch(`${server.url}/admin/api/analytics/events`, { headers: { authorization: `Bearer ${guest.token}` } });
    assert.equal(asGuest.status, 403);
    const badGroup = await admin.call('GET', '/admin/api/analytics/events?group_by=email');
    assert.equal(badGroup.status, 400);
    assert.match(String(badGroup.body['error_description']), /group_by "email" is not a dimension/);
    const tooFine = await admin.call('GET', `/admin/api/analytics/events?interval=minute&from=${Date.now() - 30 * 86_400_000}`);
    assert.equal(tooFine.status, 400);
    const unknown = await admin.call('GET', '/admin/api/analytics/events?user=1');
    assert.equal(unknown.status, 400);
  });

  it('should erase a person’s events and its merged guest’s, and rebuild the rollups they were in', async () => {
    const erased = await admin.call('DELETE', `/admin/api/users/${ids.g4}/events`);
    assert.equal(erased.status, 200);
    assert.equal(erased.body['deleted_events'], 2);
    assert.equal(erased.body['rebuilt_rollups'], 2);
    assert.deepEqual((await admin.call('GET', `/admin/api/users/${ids.g4}/events`)).body['events'], []);

    const distinct = await query('distinct');
    assert.deepEqual([distinct['sessions'], distinct['users'], distinct['people']], [2, 2, 2]);
    const split = await query('split');
    assert.deepEqual([(split['guest'] as { events: number }).events, (split['registered'] as { events: number }).events], [4, 1]);
    const conversion = await query('conversion');
    assert.deepEqual([conversion['guests'], conversion['converted']], [2, 1]);
    const again = await admin.call('DELETE', `/admin/api/users/${ids.g4}/events`);
    assert.equal(again.body['deleted_events'], 0, 'erasure is idempotent');
  });

  it('should purge everything older than the retention period', async () => {
    const deleted = await server.ctx.telemetry.purgeExpired(Date.now() + 91 * 86_400_000);
    assert.ok(deleted >= 5);
    assert.deepEqual((await query('events'))['series'], []);
    assert.equal((await query('distinct'))['people'], 0);
  });
});
