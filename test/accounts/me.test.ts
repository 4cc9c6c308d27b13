import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { getWithToken, patchWithToken, register, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { createGuest, GuestAdmin, json } from '../helpers/guests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';

describeEachDatabase('the caller’s own user: GET /accounts/me and PATCH /accounts/me/metadata', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let clientId: string;

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({ database, env: { GUESTPASS_SMTP_URL: smtp.url } });
    clientId = await new GuestAdmin(server).publicClient({ metadata_max_bytes: 300 });
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  const patch = (token: string, body: unknown, headers: Record<string, string> = {}) => patchWithToken(server, '/accounts/me/metadata', token, body, headers);

  it('describes a guest: is_anonymous true, no address, its metadata, with an ETag', async () => {
    const bare = await createGuest(server, { client_id: clientId });
    const me = await getWithToken(server, '/accounts/me', bare.body.access_token);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user_id: bare.body.user_id, email: null, is_anonymous: true, scope: '', metadata: {} });
    assert.equal(me.headers.get('etag'), '"0"');
    assert.equal(me.headers.get('cache-control'), 'no-store');

    const withCart = await createGuest(server, { client_id: clientId, metadata: { cart: ['tea'] } });
    assert.deepEqual((await getWithToken(server, '/accounts/me', withCart.body.access_token)).body['metadata'], { cart: ['tea'] });
  });

  it('describes a registered user: its address and is_anonymous false', async () => {
    const email = uniqueEmail('me');
    const account = await register(server, smtp, { clientId, email, password: 'my own passphrase' });
    const me = await getWithToken(server, '/accounts/me', account.body['access_token'] as string);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user_id: account.body['user_id'], email, is_anonymous: false, scope: '', metadata: {} });
    assert.ok(me.headers.get('etag'));
  });

  it('applies merge patches with If-Match, moves the ETag, and answers a stale ETag with 412 without writing', async () => {
    const account = await register(server, smtp, { clientId, email: uniqueEmail('patch'), password: 'my own passphrase' });
    const token = account.body['access_token'] as string;
    const etag = (await getWithToken(server, '/accounts/me', token)).headers.get('etag')!;

    const first = await patch(token, { preferences: { theme: 'dark', currency: 'EUR' }, cart: ['tea'] }, { 'if-match': etag });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body['is_anonymous'], false);
    const moved = first.headers.get('etag')!;
    assert.notEqual(moved, etag);

    const second = await patch(token, { preferences: { theme: null }, cart: ['tea', 'milk'] }, { 'if-match': moved });
    assert.equal(second.status, 200);
    assert.deepEqual(second.body['metadata'], { preferences: { currency: 'EUR' }, cart: ['tea', 'milk'] });

    const stale = await patch(token, { cart: [] }, { 'if-match': moved });
    assert.equal(stale.status, 412);
    assert.equal(stale.body['error'], 'precondition_failed');
    const now = await getWithToken(server, '/accounts/me', token);
    assert.deepEqual(now.body['metadata'], second.body['metadata']);
    assert.equal(now.headers.get('etag'), second.headers.get('etag'));
  });

  it('lets a guest patch its metadata too, visible at /anonymous/session', async () => {
    const guest = await createGuest(server, { client_id: clientId });
    const patched = await patch(guest.body.access_token, { visits: 1 }, { 'if-match': '"0"' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body, { user_id: guest.body.user_id, email: null, is_anonymous: true, scope: '', metadata: { visits: 1 } });
    assert.deepEqual((await getWithToken(server, '/anonymous/session', guest.body.access_token)).body['metadata'], { visits: 1 });
  });

  it('refuses metadata over the client’s limit (400) and a body over the endpoint’s limit (413)', async () => {
    const guest = await createGuest(server, { client_id: clientId });
    const tooBig = await patch(guest.body.access_token, { note: 'x'.repeat(400) });
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.body['error'], 'invalid_request');
    assert.match(String(tooBig.body['error_description']), /at most 300 bytes/);

    const huge = await patch(guest.body.access_token, JSON.stringify({ note: 'x'.repeat(200 * 1024) }));
    assert.equal(huge.status, 413);
    assert.ok(typeof huge.body['error'] === 'string' && typeof huge.body['error_description'] === 'string');
    assert.deepEqual((await getWithToken(server, '/accounts/me', guest.body.access_token)).body['metadata'], {});

    const notObject = await patch(guest.body.access_token, '[1, 2]');
    assert.equal(notObject.status, 400);
  });

  it('refuses a session token in Authorization: /accounts/me takes access tokens only', async () => {
    const guest = await createGuest(server, { client_id: clientId });
    const me = await getWithToken(server, '/accounts/me', guest.body.session_token);
    assert.equal(me.status, 401);
    assert.equal(me.body['error'], 'invalid_token');
    assert.ok(me.headers.get('www-authenticate'));
    assert.equal((await patch(guest.body.session_token, { a: 1 })).status, 401);
    const none = await json(await fetch(`${server.url}/accounts/me`));
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('www-authenticate'));
  });
});
