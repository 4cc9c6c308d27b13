import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { createGuest, GuestAdmin, json, refreshGuest } from '../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';

describeEachDatabase('ending guest sessions', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  let resourceServer: { id: string; secret: string };
  before(async () => {
    server = await startTestServer({ database });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
    resourceServer = await admin.confidentialClient();
  });
  after(() => server.stop());

  const introspect = async (token: string) =>
    (
      await json(
        await fetch(`${server.url}/oauth/introspect`, {
          method: 'POST',
          body: new URLSearchParams({ token, client_id: resourceServer.id, client_secret: resourceServer.secret }),
        }),
      )
    ).body;
  const sessionStatus = async (token: string) => (await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('should introspect a guest access token as active with its session claims', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const claims = await introspect(guest.access_token);
    assert.equal(claims['active'], true);
    assert.equal(claims['sid'], guest.session_id);
    assert.equal(claims['is_anonymous'], true);
    assert.equal(claims['token_type'], 'Bearer');
  });

  it('should end the session and its access tokens at once when the session token is revoked (RFC 7009)', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const refreshed = (await refreshGuest(server, clientId, guest.session_token)).body;
    const revoked = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: refreshed.session_token, client_id: clientId }),
    });
    assert.equal(revoked.status, 200);
    for (const token of [guest.access_token, refreshed.access_token]) {
      assert.deepEqual(await introspect(token), { active: false });
      assert.equal(await sessionStatus(token), 401);
    }
    assert.equal((await refreshGuest(server, clientId, refreshed.session_token)).body.error, 'invalid_grant');
  });

  it('should not let another client revoke a session', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const other = await admin.publicClient();
    const refused = await json(
      await fetch(`${server.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: guest.session_token, client_id: other }) }),
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body['error'], 'unauthorized_client');
    assert.equal(await sessionStatus(guest.access_token), 200);
  });

  it('should end the caller’s own session at POST /anonymous/logout', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const logout = await fetch(`${server.url}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${guest.access_token}` } });
    assert.equal(logout.status, 204);
    assert.equal(await sessionStatus(guest.access_token), 401);
    assert.equal((await refreshGuest(server, clientId, guest.session_token)).body.error, 'invalid_grant');
  });

  it('should show stored sessions to admins and let them revoke one by id', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    assert.equal((await admin.call('GET', `/admin/api/sessions/${guest.session_id}`)).status, 404, 'no row until the session needs state');
    await refreshGuest(server, clientId, guest.session_token);
    const stored = await admin.call('GET', `/admin/api/sessions/${guest.session_id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body['generation'], 1);
    assert.equal(stored.body['user_id'], guest.user_id);
    assert.equal(stored.body['last_ip_prefix'], '127.0.0.0/24');
    const list = await admin.call('GET', `/admin/api/users/${guest.user_id}/sessions`);
    assert.deepEqual(
      (list.body['sessions'] as { session_id: string }[]).map((session) => session.session_id),
      [guest.session_id],
    );

    const revoked = await admin.call('POST', `/admin/api/sessions/${guest.session_id}/revoke`);
    assert.equal(revoked.body['revoked_reason'], 'revoked_by_admin');
    assert.equal(await sessionStatus(guest.access_token), 401);
  });

  it('should let an admin revoke a session that never had a row', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    await admin.call('POST', `/admin/api/sessions/${guest.session_id}/revoke`);
    assert.equal(await sessionStatus(guest.access_token), 401);
    assert.equal((await refreshGuest(server, clientId, guest.session_token)).body.error, 'invalid_grant');
  });
});
