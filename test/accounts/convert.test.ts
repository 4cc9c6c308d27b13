import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { accountError } from '../../src/accounts/error-codes.js';
import { MAIL_SENT_RESPONSE } from '../../src/accounts/service.js';
import { getWithToken, nextMailTo, patchWithToken, postJson, register, uniqueEmail, startMailedServer, type MailedServer } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, type GuestAdmin, json, ORIGIN, refreshGuest } from '../helpers/guests.js';
import type { TestServer } from '../helpers/server.js';
import { codeIn, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'chosen after converting';

describeEachDatabase('convert first, password later', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;

  let fixture: MailedServer;
  before(async () => {
    fixture = await startMailedServer(database, { GUESTPASS_MERGE_STRATEGIES: JSON.stringify({ cart: 'union' }) });
    ({ smtp, server, admin, clientId } = fixture);
  });
  after(() => fixture?.stop());

  const convert = async (token: string, email: string) =>
    json(
      await fetch(`${server.url}/anonymous/convert`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify({ email }),
      }),
    );
  const setPassword = (token: string, password: string) =>
    fetch(`${server.url}/accounts/password/set`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    }).then(json);
  const verify = (email: string, code: string) => postJson(server, '/accounts/verify', { client_id: clientId, email, code });
  const logIn = (email: string, password: string) => postJson(server, '/accounts/login', { client_id: clientId, email, password });

  /** Converts the guest and verifies the mailed code: the verification response. */
  const convertAndVerify = async (accessToken: string, email: string) => {
    const seen = smtp.messages.length;
    const converted = await convert(accessToken, email);
    assert.equal(converted.status, 202, JSON.stringify(converted.body));
    return verify(email, codeIn(await nextMailTo(smtp, email, seen)));
  };

  let email: string;
  let accountToken: string;
  let accountSessionToken: string;

  it('promotes a converting guest in place once the mailed code is verified: same user id, metadata kept', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: ['tea'], locale: 'fr' } });
    email = uniqueEmail('convert');
    const seen = smtp.messages.length;
    const converted = await convert(guest.body.access_token, email);
    assert.equal(converted.status, 202);
    assert.deepEqual(converted.body, MAIL_SENT_RESPONSE);
    const mail = await nextMailTo(smtp, email, seen);

    // Naming an address changes nothing until it is proven.
    const before = await getWithToken(server, '/accounts/me', guest.body.access_token);
    assert.deepEqual(before.body, { user_id: guest.body.user_id, email: null, is_anonymous: true, scope: '', metadata: { cart: ['tea'], locale: 'fr' } });

    const verified = await verify(email, codeIn(mail));
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['user_id'], guest.body.user_id);
    accountToken = verified.body['access_token'] as string;
    accountSessionToken = verified.body['session_token'] as string;
    assert.equal(claimsOf(accountToken)['sub'], guest.body.user_id);
    assert.equal(claimsOf(accountToken)['is_anonymous'], false);
    const me = await getWithToken(server, '/accounts/me', accountToken);
    assert.deepEqual(me.body, { user_id: guest.body.user_id, email, is_anonymous: false, scope: '', metadata: { cart: ['tea'], locale: 'fr' } });

    // The guest's own session lives on as the registered user.
    const refreshed = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(refreshed.status, 200);
    assert.equal(claimsOf(refreshed.body.access_token)['is_anonymous'], false);
  });

  it('sets the first password once (204, then 409), and the account logs in with it', async () => {
    assert.equal((await logIn(email, PASSWORD)).status, 400, 'no password yet');
    const weak = await setPassword(accountToken, 'short');
    assert.equal(weak.status, 400);
    assert.equal(weak.body['error'], 'invalid_request');

    const set = await setPassword(accountToken, PASSWORD);
    assert.equal(set.status, 204);
    const again = await setPassword(accountToken, 'a different passphrase');
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { error: 'invalid_request', error_description: accountError.catalogue.PASSWORD_ALREADY_SET.description });

    const login = await logIn(email, PASSWORD);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['user_id'], claimsOf(accountToken)['sub']);
    assert.equal((await logIn(email, 'a different passphrase')).status, 400);
  });

  it('refuses a password set by a guest (403) and without a token (401)', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { seen: true } });
    const byGuest = await setPassword(guest.body.access_token, PASSWORD);
    assert.equal(byGuest.status, 403);
    assert.equal(byGuest.body['error'], 'insufficient_scope');
    const bare = await createGuest(server, { client_id: clientId });
    assert.equal((await setPassword(bare.body.access_token, PASSWORD)).status, 403, 'a guest without a row either');
    const anonymous = await json(
      await fetch(`${server.url}/accounts/password/set`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: PASSWORD }),
      }),
    );
    assert.equal(anonymous.status, 401);
  });

  it('merges a converting guest into the account that already has the address', async () => {
    const existing = uniqueEmail('existing');
    const account = await register(server, smtp, { clientId, email: existing, password: PASSWORD });
    const accountId = account.body['user_id'] as string;
    const filled = await patchWithToken(server, '/accounts/me/metadata', account.body['access_token'] as string, { cart: ['hat', 'scarf'] });
    assert.equal(filled.status, 200);
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: ['scarf', 'gloves'] } });

    const verified = await convertAndVerify(guest.body.access_token, existing);
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'merged');
    assert.equal(verified.body['user_id'], accountId);
    const me = await getWithToken(server, '/accounts/me', verified.body['access_token'] as string);
    assert.deepEqual(me.body['metadata'], { cart: ['hat', 'scarf', 'gloves'] }, 'merged by union, as GUESTPASS_MERGE_STRATEGIES says');

    const alias = await admin.call('GET', `/admin/api/users/${guest.body.user_id}`);
    assert.equal(alias.body['merged_into'], accountId);
    assert.equal((await getWithToken(server, '/accounts/me', guest.body.access_token)).status, 401);
    // The account keeps its password: a conversion sets none.
    assert.equal((await logIn(existing, PASSWORD)).status, 200);
  });

  it('refuses conversion, or a sign-up, that presents a registered user’s session (409), and an invalid address (400)', async () => {
    const registered = await convert(accountToken, uniqueEmail('again'));
    assert.equal(registered.status, 409);
    assert.deepEqual(registered.body, { error: 'invalid_request', error_description: accountError.catalogue.NOT_A_GUEST.description });
    const signup = await postJson(server, '/accounts/signup', { client_id: clientId, email: uniqueEmail('again'), session_token: accountSessionToken });
    assert.equal(signup.status, 409);
    assert.deepEqual(signup.body, registered.body);
    const guest = await createGuest(server, { client_id: clientId });
    const invalid = await convert(guest.body.access_token, 'not an address');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body['error'], 'invalid_request');
  });
});
