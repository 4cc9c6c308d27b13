import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const DAY_MS = 86_400_000;

interface LoggedEvent {
  type: string;
  time: number;
  subject?: string;
  session_id?: string;
}

const flushCount = async (server: TestServer) =>
  Number(/^guestpass_audit_flush_seconds_count (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0);

describeEachDatabase('the domain-event log', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ refresh_grace: 0 });
  });
  after(() => server.stop());

  const page = async (query: string) => {
    const response = await admin.call('GET', `/admin/api/audit?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as { events: LoggedEvent[]; next_cursor: string | null };
  };

  it('should log every event of a request as the bus emitted it, filtered by type and subject', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    await refreshGuest(server, clientId, guest.session_token);
    const mine = await page(`subject=${guest.user_id}&order=oldest`);
    assert.deepEqual(
      mine.events.map((event) => event.type),
      ['session.created', 'session.refreshed'],
    );
    assert.equal(mine.events[0]?.session_id, guest.session_id);
    const created = await page('type=session.created');
    assert.ok(created.events.length >= 1 && created.events.every((event) => event.type === 'session.created'));
    assert.deepEqual((await page(`type=session.refreshed&subject=${guest.user_id}&until=${mine.events[0]!.time}`)).events, []);
  });

  it('should page with an opaque cursor through every event once, newest first and oldest first', async () => {
    for (let n = 0; n < 7; n++) await createGuest(server, { client_id: clientId });
    const whole = (await page('limit=500')).events;
    for (const order of ['newest', 'oldest'] as const) {
      const seen: LoggedEvent[] = [];
      let cursor: string | null = null;
      do {
        const next: { events: LoggedEvent[]; next_cursor: string | null } = await page(`limit=3&order=${order}${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...next.events);
        cursor = next.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, order === 'newest' ? whole : [...whole].reverse());
    }
  });

  it('should refuse unknown parameters, bad cursors and bad times with invalid_request, and callers without an admin token', async () => {
    for (const query of ['colour=red', 'cursor=bm90IGEgY3Vyc29y', 'since=yesterday', 'limit=0', 'limit=501', 'since=2000&until=1000', 'type=not-a-type']) {
      const refused = await admin.call('GET', `/admin/api/audit?${query}`);
      assert.deepEqual([refused.status, refused.body['error']], [400, 'invalid_request'], query);
    }
    assert.equal((await fetch(`${server.url}/admin/api/audit`)).status, 401);
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const asGuest = await fetch(`${server.url}/admin/api/audit`, { headers: { authorization: `Bearer ${guest.access_token}` } });
    assert.equal(asGuest.status, 403);
  });

  it('should write many events in few transactions (group commit)', async () => {
    await server.ctx.audit.flush();
    const before = await flushCount(server);
    const time = Date.now();
    for (let n = 0; n < 2000; n++) server.ctx.events.emit('client.updated', { time, subject: `batch-${n}` });
    await server.ctx.audit.flush();
    const flushes = (await flushCount(server)) - before;
    assert.ok(flushes >= 1 && flushes <= 5, `2000 events in ${flushes} transactions`);
    assert.equal((await page('subject=batch-1999')).events.length, 1);
    const exported = [];
    for await (const line of server.ctx.audit.export({ type: 'client.updated', since: time })) exported.push(line);
    assert.equal(exported.length, 2000);
    assert.match(exported[0]!, /"subject":"batch-0"/);
  });

  it('should purge events older than the retention (30 days), in batches, and keep the rest', async () => {
    const now = Date.now();
    for (let n = 0; n < 1500; n++) server.ctx.events.emit('client.updated', { time: now - 31 * DAY_MS, subject: 'old' });
    server.ctx.events.emit('client.updated', { time: now - 29 * DAY_MS, subject: 'recent' });
    await server.ctx.audit.flush();
    assert.equal(await server.ctx.audit.purgeExpired(now), 1500);
    assert.deepEqual((await page('subject=old')).events, []);
    assert.equal((await page('subject=recent')).events.length, 1);
  });
});

describeEachDatabase('the domain-event log at shutdown, and the alert log line', (database) => {
  it('should write the events emitted just before a shutdown, for the next process to read', async () => {
    const server = await startTestServer({ database, env: { GUESTPASS_AUDIT_FLUSH_INTERVAL: '60s' } });
    try {
      const clientId = await new GuestAdmin(server).publicClient();
      const sessions = [];
      for (let n = 0; n < 3; n++) sessions.push((await createGuest(server, { client_id: clientId })).body.session_id);
      await server.close();
      const exported = (await server.cli(['events', 'export', '--since', '0', '--type', 'session.created'])).trim().split('\n');
      assert.deepEqual(
        exported.map((line) => (JSON.parse(line) as LoggedEvent).session_id),
        sessions,
      );
    } finally {
      await server.stop();
    }
  });

  it('should log a raised alert as one warn line with its detector, severity, entity and action, and no address; and record nothing when the log is off', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const server = await startTestServer({ database, env: { GUESTPASS_AUDIT_LOG: 'off', GUESTPASS_TRUSTED_PROXIES: '1' }, logger: { level: 'warn', stream } });
    try {
      const admin = new GuestAdmin(server);
      const clientId = await admin.publicClient({ refresh_grace: 0 });
      const guest = (await createGuest(server, { client_id: clientId }, { origin: 'http://localhost:3000', 'x-forwarded-for': '192.0.2.10' })).body;
      const refresh = (ip: string, token: string) =>
        fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: { 'x-forwarded-for': ip },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: token }),
        });
      await refresh('192.0.2.10', guest.session_token);
      assert.equal((await json(await refresh('192.0.2.99', guest.session_token))).body['error'], 'invalid_grant');
      const deadline = Date.now() + 5000;
      let logged: Record<string, unknown>[] = [];
      while (Date.now() < deadline) {
        logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'anomaly alert raised');
        if (logged.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(logged.length, 1, lines.join('\n'));
      const [line] = logged;
      assert.equal(line!['level'], 40);
      const alert = line!['alert'] as Record<string, unknown>;
      assert.deepEqual(Object.keys(alert).sort(), ['action', 'alert_id', 'detector', 'entity_id', 'entity_kind', 'severity']);
      assert.deepEqual(
        [alert['detector'], alert['entity_kind'], alert['entity_id'], alert['severity'], alert['action']],
        ['token_reuse', 'session', guest.session_id, 'critical', 'revoke'],
      );
      assert.doesNotMatch(JSON.stringify(line), /192\.0\.2|ip_prefix|network/);
      assert.deepEqual((await admin.call('GET', '/admin/api/audit')).body['events'], [], 'GUESTPASS_AUDIT_LOG=off records nothing');
    } finally {
      await server.stop();
    }
  });
});
