import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { getWithToken, introspect, postJson } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, refreshGuest } from '../helpers/guests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { codeIn, startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

describeEachDatabase('the guest-to-account lifecycle over real SMTP', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  let introspector: { id: string; secret: string };

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database,
      env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_MERGE_STRATEGIES: JSON.stringify({ cart: { strategy: 'union', id: 'sku' }, visits: 'sum' }) },
    });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
    introspector = await admin.confidentialClient();
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  let accountId: string;

  it('promotes a guest in place when it signs up and verifies: same sub, cart kept', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: [{ sku: 'apple', qty: 1 }], visits: 2 } });
    assert.equal(guest.status, 200);
    accountId = guest.body.user_id;

    const signup = await postJson(server, '/accounts/signup', {
      client_id: clientId,
      email: EMAIL,
      password: PASSWORD,
      session_token: guest.body.session_token,
    });
    assert.equal(signup.status, 202);
    const mail = await smtp.waitFor((m) => m.to.includes(EMAIL));

    // Before the code is used, the guest is still a guest (nobody takes over by typing an address).
    const before = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(claimsOf(before.body.access_token)['is_anonymous'], true);

    const verified = await postJson(server, '/accounts/verify', { client_id: clientId, email: EMAIL, code: codeIn(mail) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['user_id'], accountId);
    const claims = claimsOf(verified.body['access_token'] as string);
    assert.equal(claims['sub'], accountId);
    assert.equal(claims['is_anonymous'], false);

    const me = await getWithToken(server, '/accounts/me', verified.body['access_token'] as string);
    assert.deepEqual(me.body, { user_id: accountId, email: EMAIL, is_anonymous: false, scope: '', metadata: { cart: [{ sku: 'apple', qty: 1 }], visits: 2 } });
    assert.ok(me.headers.get('etag'));

    // The guest's own session lives on as the registered user.
    const after = await refreshGuest(server, clientId, before.body.session_token);
    assert.equal(after.status, 200);
    assert.equal(claimsOf(after.body.access_token)['sub'], accountId);
    assert.equal(claimsOf(after.body.access_token)['is_anonymous'], false);
  });

  it('merges a second guest into the account at login: carts by union, alias recorded, guest tokens refused', async () => {
    const second = await createGuest(server, {
      client_id: clientId,
      metadata: {
        cart: [
          { sku: 'pear', qty: 2 },
          { sku: 'apple', qty: 5 },
        ],
        visits: 3,
      },
    });
    const guestId = second.body.user_id;
    const login = await postJson(server, '/accounts/login', {
      client_id: clientId,
      email: EMAIL,
      password: PASSWORD,
      session_token: second.body.session_token,
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(claimsOf(login.body['access_token'] as string)['sub'], accountId);
    assert.equal(login.body['merged_guest_id'], guestId);

    const me = await getWithToken(server, '/accounts/me', login.body['access_token'] as string);
    assert.deepEqual(me.body['metadata'], {
      cart: [
        { sku: 'apple', qty: 1 },
        { sku: 'pear', qty: 2 },
      ],
      visits: 5,
    });

    const user = await admin.call('GET', `/admin/api/users/${guestId}`);
    assert.equal(user.status, 200);
    assert.equal(user.body['merged_into'], accountId);

    const session = await getWithToken(server, '/anonymous/session', second.body.access_token);
    assert.equal(session.status, 401);
    assert.equal((await introspect(server, introspector, second.body.access_token)).body['active'], false);
    const refreshed = await refreshGuest(server, clientId, second.body.session_token);
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body.error, 'invalid_grant');
  });

  it('refuses a wrong password with one uniform error', async () => {
    const wrong = await postJson(server, '/accounts/login', { client_id: clientId, email: EMAIL, password: 'not the password at all' });
    const unknown = await postJson(server, '/accounts/login', { client_id: clientId, email: 'nobody@example.com', password: 'not the password at all' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body['error'], 'invalid_grant');
  });
});
