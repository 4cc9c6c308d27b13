import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { event, newGuest, sendEvents, telemetryClient } from './helpers/telemetry.js';

// Personal data a careless front end puts into telemetry. None of these may reach the store.
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const RAW = {
  email: 'jane.doe@example.com',
  phone: '+1 415 555 0134',
  ipv4: '203.0.113.57',
  ipv6: '2001:db8:85a3::8a2e:370:7334',
  card: '4111 1111 1111 1111',
  bearer: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  querySecret: 'resetcode8471',
};
const NEEDLES = [
  RAW.email,
  'jane.doe',
  RAW.phone,
  '555 0134',
  RAW.ipv4,
  RAW.ipv6,
  RAW.card,
  '4111111111111111',
  JWT.split('.')[1]!,
  RAW.bearer,
  RAW.querySecret,
];

// Look-alikes that must come back untouched.
const LOOK_ALIKES = {
  version: '2.14.3',
  date: '2026-11-26',
  timestamp: '2026-11-26T10:15:30Z',
  latency: '1234 ms',
  order: 'ORD-2026-000123',
  uuid: '0190a8c2-7b1e-7cc0-9f00-3a1d2b4c5d6e',
};

function leaks(text: string): string[] {
  return NEEDLES.filter((needle) => text.includes(needle));
}

describeEachDatabase('telemetry privacy acceptance', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database });
    admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
  });
  after(() => server.stop());

  it('should redact e-mails, phones, IPs, card numbers and tokens in props, URLs and error messages, and keep look-alikes', async () => {
    const guest = await newGuest(server, clientId);
    const sent = event({
      name: 'checkout.failed',
      props: {
        note: `write to ${RAW.email} or call ${RAW.phone}`,
        servers: `primary ${RAW.ipv4}, fallback ${RAW.ipv6}`,
        payment: `paid with ${RAW.card}`,
        header: `Bearer ${RAW.bearer}`,
        raw: JWT,
        page: `https://shop.example/checkout?email=${encodeURIComponent(RAW.email)}&code=${RAW.querySecret}&utm_source=newsletter#step-2`,
        email: 'someone.else@example.org',
        ...LOOK_ALIKES,
      },
      error: { type: 'FetchError', message: `GET https://api.shop.example/users?email=${RAW.email} failed from ${RAW.ipv4} with token ${JWT}` },
    });
    const { status, body } = await sendEvents(server, guest.token, [sent]);
    assert.equal(status, 202);
    assert.equal(body.accepted, 1);

    const answer = await admin.call('GET', `/admin/api/users/${guest.userId}/events`);
    assert.deepEqual(leaks(JSON.stringify(answer.body)), [], 'the query API returns no raw value');
    const [stored] = answer.body['events'] as { props: Record<string, unknown>; error: { message: string }; redactions: number }[];
    const props = stored!.props;
    assert.match(String(props['note']), /\[redacted:email\].*\[redacted:phone\]/);
    assert.match(String(props['servers']), /\[redacted:ipv4\].*\[redacted:ipv6\]/);
    assert.match(String(props['payment']), /\[redacted:card_number\]/);
    assert.match(String(props['raw']), /\[redacted:jwt\]/);
    assert.match(String(props['header']), /redacted/);
    assert.equal(props['page'], 'https://shop.example/checkout?utm_source=newsletter');
    assert.equal(props['email'], undefined, 'a prop named like an identifier is dropped');
    for (const [key, value] of Object.entries(LOOK_ALIKES)) assert.equal(props[key], value, `${key} passes untouched`);
    assert.ok(stored!.error.message.startsWith('GET https://api.shop.example/users failed from [redacted:ipv4]'), stored!.error.message);
    assert.ok(stored!.redactions >= 10);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /guestpass_telemetry_privacy_redactions_total\{step="pattern_scrub",reason="email"\} [1-9]/);
    assert.match(metrics, /guestpass_telemetry_privacy_redactions_total\{step="url_values",reason="url_query"\} [1-9]/);
  });

  it('should store none of the raw values anywhere in the database', async () => {
    const guest = await newGuest(server, clientId);
    assert.equal(
      (
        await sendEvents(server, guest.token, [
          event({ props: { contact: `${RAW.email} ${RAW.card} ${RAW.phone}` }, error: { type: 'Error', message: `${RAW.bearer} ${RAW.ipv6}` } }),
        ])
      ).status,
      202,
    );
    if (database === 'sqlite') {
      // Every byte SQLite wrote: the main file and the write-ahead log, where fresh commits live.
      const file = join(server.env['GUESTPASS_DATA_DIR']!, 'guestpass.db');
      const bytes = [file, `${file}-wal`]
        .filter(existsSync)
        .map((path) => readFileSync(path).toString('latin1'))
        .join('');
      assert.ok(bytes.includes(guest.userId), 'the check reads the right files: the stored user id is there');
      assert.deepEqual(leaks(bytes), []);
    } else {
      // PostgreSQL keeps its files elsewhere; every telemetry row, as text, is the equivalent.
      const { rows } = await sql<{ row: string }>`select row_to_json(t)::text as row from (select * from events) t
        union all select row_to_json(t)::text from (select * from event_rollups) t
        union all select row_to_json(t)::text from (select * from event_user_days) t`.execute(server.ctx.store.db);
      const text = rows.map((row) => row.row).join('\n');
      assert.ok(text.includes(guest.userId));
      assert.deepEqual(leaks(text), []);
    }
  });

  it('should drop events and props the client does not allow', async () => {
    const strict = await telemetryClient(admin, { telemetry: { allowed_events: ['page.view'], allowed_props: ['path'] } });
    const guest = await newGuest(server, strict);
    const { body } = await sendEvents(server, guest.token, [
      event({ name: 'page.view', props: { path: '/pricing', plan: 'pro' } }),
      event({ name: 'secret.thing' }),
    ]);
    assert.equal(body.accepted, 1);
    assert.equal(body.rejected[0]?.index, 1);
    assert.equal(body.rejected[0]?.error, 'event_dropped');
    assert.match(body.rejected[0]?.error_description ?? '', /event_allow_list/);
    const [stored] = (await admin.call('GET', `/admin/api/users/${guest.userId}/events`)).body['events'] as { props: Record<string, unknown> }[];
    assert.deepEqual(stored!.props, { path: '/pricing' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /guestpass_telemetry_privacy_dropped_total\{step="event_allow_list",reason="event_not_allowed"\} [1-9]/);
    assert.match(metrics, /guestpass_telemetry_events_total\{outcome="dropped"\} [1-9]/);
  });
});
