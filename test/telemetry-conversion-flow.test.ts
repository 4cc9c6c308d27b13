import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { postJson, register, uniqueEmail } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { claimsOf, GuestAdmin } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';
import { event, newGuest, sendEvents, telemetryClient } from './helpers/telemetry.js';

const MINUTE = 60_000;
const PASSWORD = 'correct horse battery staple';

interface StoredEvent {
  name: string;
  user_id: string;
  is_anonymous: boolean;
  ts: number;
}

/**
 * Conversion analytics fed by the real accounts flow over HTTP (no test-only writes):
 *   A  guest: product.view, cart.add; signs up with its session token and verifies the mailed
 *      code (promoted in place, users.converted_at); then checkout.start as a registered user
 *   B  guest: product.view, search; logs into A's account with its session token (merged,
 *      user_aliases)
 *   C  guest: product.view, page.view; never converts
 * Pre-conversion events are dated T0 − 20…9 minutes; the conversions happen at the server's now.
 */
describeEachDatabase('telemetry conversion through sign-up, verification and login', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  const T0 = Date.now();
  const at = (minutes: number) => T0 + minutes * MINUTE;
  const ids = { a: '', b: '', c: '' };
  const query = async (path: string, extra = '') => {
    const response = await admin.call('GET', `/admin/api/analytics/${path}?client=${clientId}&from=${at(-60)}&to=${Date.now() + MINUTE}${extra}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const send = async (token: string, events: Record<string, unknown>[]) => {
    const answer = await sendEvents(server, token, events);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.accepted, events.length, JSON.stringify(answer.body));
  };

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({ database, env: { GUESTPASS_SMTP_URL: smtp.url } });
    admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  const email = uniqueEmail('convert');

  it('promotes guest A in place: same user id, and its later events are sent as a registered user', async () => {
    const a = await newGuest(server, clientId);
    ids.a = a.userId;
    await send(a.token, [event({ name: 'product.view', ts: at(-20) }), event({ name: 'cart.add', ts: at(-19) })]);

    const verified = await register(server, smtp, { clientId, email, password: PASSWORD, sessionToken: a.sessionToken });
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['user_id'], a.userId);
    const token = verified.body['access_token'] as string;
    assert.equal(claimsOf(token)['is_anonymous'], false);
    await send(token, [event({ name: 'checkout.start', ts: Date.now() })]);

    const user = await admin.call('GET', `/admin/api/users/${a.userId}`);
    assert.equal(user.body['is_anonymous'], false);
    assert.equal(typeof user.body['converted_at'], 'number');
  });

  it('merges guest B into A’s account when B logs in with its session token', async () => {
    const b = await newGuest(server, clientId);
    ids.b = b.userId;
    await send(b.token, [event({ name: 'product.view', ts: at(-15) }), event({ name: 'search', ts: at(-14) })]);

    const login = await postJson(server, '/accounts/login', { client_id: clientId, email, password: PASSWORD, session_token: b.sessionToken });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['merged_guest_id'], b.userId);
    assert.equal(claimsOf(login.body['access_token'] as string)['sub'], ids.a);
    const user = await admin.call('GET', `/admin/api/users/${b.userId}`);
    assert.equal(user.body['merged_into'], ids.a);
    assert.equal(user.body['converted_at'], null, 'a merge converts through user_aliases, not users.converted_at');
  });

  it('leaves guest C a guest', async () => {
    const c = await newGuest(server, clientId);
    ids.c = c.userId;
    await send(c.token, [event({ name: 'product.view', ts: at(-10) }), event({ name: 'page.view', ts: at(-9) })]);
  });

  it('counts A (promoted) and B (merged) as converted and C not, with exact times and pre-conversion events', async () => {
    const [a, b] = await Promise.all([admin.call('GET', `/admin/api/users/${ids.a}`), admin.call('GET', `/admin/api/users/${ids.b}`)]);
    const convertedA = a.body['converted_at'] as number;
    const mergedB = b.body['merged_at'] as number;
    assert.equal(typeof mergedB, 'number');

    const conversion = await query('conversion');
    assert.equal(conversion['guests'], 3);
    assert.equal(conversion['converted'], 2);
    assert.equal(conversion['conversion_rate'], 2 / 3);
    assert.equal(conversion['converted_scanned'], 2);
    // From each guest's first event to its conversion (A: converted_at; B: the alias, written with merged_at).
    assert.equal(conversion['median_time_to_convert_ms'], (convertedA - at(-20) + (mergedB - at(-15))) / 2);
    // A's checkout.start came after its conversion and C never converted: neither is listed.
    assert.deepEqual(conversion['events_before_conversion'], [
      { name: 'product.view', users: 2, share_of_converted: 1, events: 2 },
      { name: 'cart.add', users: 1, share_of_converted: 0.5, events: 1 },
      { name: 'search', users: 1, share_of_converted: 0.5, events: 1 },
    ]);

    const top1 = await query('conversion', '&top=1');
    assert.deepEqual(
      (top1['events_before_conversion'] as { name: string }[]).map((entry) => entry.name),
      ['product.view'],
    );
  });

  it('counts B under A’s account as one person, while users stay three distinct ids', async () => {
    const distinct = await query('distinct');
    assert.equal(distinct['users'], 3);
    assert.equal(distinct['people'], 2);
    const split = await query('split');
    assert.deepEqual([(split['guest'] as { events: number; users: number }).events, (split['guest'] as { users: number }).users], [6, 3]);
    assert.deepEqual([(split['registered'] as { events: number }).events, (split['registered'] as { users: number }).users], [1, 1]);
  });

  it('lists B’s events under A’s account with B’s own user id: rows are never rewritten', async () => {
    const listed = await admin.call('GET', `/admin/api/users/${ids.a}/events`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body['user_ids'], [ids.a, ids.b]);
    const rows = (listed.body['events'] as StoredEvent[]).map(({ name, user_id, is_anonymous }) => [name, user_id, is_anonymous]);
    assert.deepEqual(rows, [
      ['checkout.start', ids.a, false],
      ['search', ids.b, true],
      ['product.view', ids.b, true],
      ['cart.add', ids.a, true],
      ['product.view', ids.a, true],
    ]);

    const own = await admin.call('GET', `/admin/api/users/${ids.b}/events`);
    assert.deepEqual(own.body['user_ids'], [ids.b]);
    assert.deepEqual(
      (own.body['events'] as StoredEvent[]).map(({ name, user_id }) => [name, user_id]),
      [
        ['search', ids.b],
        ['product.view', ids.b],
      ],
    );
  });
});
