import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A London address and an Australian one (the GeoIP database the server ships with). */
const LONDON = '81.2.69.10';
const AUSTRALIA = '144.135.75.10';

/**
 * A guest transfer code redeemed in another country seconds after it was made is the same
 * person's second device (impossible_travel links the two sessions by `session.transferred`),
 * not a stolen session: no alert, nothing revoked. The same jump by one session still is.
 */
describeEachDatabase('guest transfer across countries and impossible travel', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;

  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1' } });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ transfer_codes: true });
    await server.ctx.anomaly.geo.ready();
  });
  after(() => server.stop());

  const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });
  const post = async (path: string, body: Record<string, unknown>, headers: Record<string, string>) =>
    json(await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
  const refresh = async (sessionToken: string, ip: string) =>
    json(
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'x-forwarded-for': ip },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: sessionToken }),
      }),
    );
  const travelAlerts = async () =>
    ((await admin.call('GET', '/admin/api/alerts?detector=impossible_travel')).body['alerts'] as { entity: { id: string } }[]).map((alert) => alert.entity.id);

  it('scores a code made in London and redeemed in Australia as a cross-device move, not theft', async () => {
    const raised: string[] = [];
    const stop = server.ctx.events.on('alert.raised', (event) => raised.push(event.detector));
    const first = (await createGuest(server, { client_id: clientId }, from(LONDON))).body;
    const code = await post('/anonymous/transfer', {}, { ...from(LONDON), authorization: `Bearer ${first.access_token}` });
    assert.equal(code.status, 201, JSON.stringify(code.body));
    const second = await post('/anonymous/token', { client_id: clientId, transfer_code: code.body['transfer_code'] }, from(AUSTRALIA));
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body['user_id'], first.user_id);
    // Each device goes on where it is.
    const inAustralia = await refresh(second.body['session_token'] as string, AUSTRALIA);
    const inLondon = await refresh(first.session_token, LONDON);
    assert.deepEqual([inAustralia.status, inLondon.status], [200, 200]);

    // The control: the London session's own token presented in Australia is a jump the
    // detector reports, so it was watching all along (and alerts are stored by now).
    const jumped = await refresh(inLondon.body['session_token'] as string, AUSTRALIA);
    assert.equal(jumped.status, 200);
    let alerts: string[] = [];
    for (let attempt = 0; attempt < 50 && alerts.length === 0; attempt++) {
      alerts = await travelAlerts();
      if (alerts.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop();
    assert.deepEqual(alerts, [first.session_id], 'only the session that jumped by itself');
    assert.deepEqual(raised, ['impossible_travel']);
    const transferred = await admin.call('GET', `/admin/api/sessions/${second.body['session_id']}`);
    assert.equal(transferred.body['revoked_reason'] ?? null, null, 'the transferred session lives');
  });
});
