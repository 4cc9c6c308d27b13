import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { idTokenError } from '../../src/accounts/id-token/error-codes.js';
import { getWithToken, postJson, register, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, refreshGuest } from '../helpers/guests.js';
import { startLinkingServer, type LinkingServer } from '../helpers/linking.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { SmtpCapture } from '../helpers/smtp-capture.js';

const seconds = () => Math.floor(Date.now() / 1000);

describeEachDatabase('ID-token linking against node-oidc-provider as a real external issuer', (database) => {
  let linking: LinkingServer;
  let issuer: OidcIssuer;
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;

  before(async () => {
    linking = await startLinkingServer(database, { GUESTPASS_MERGE_STRATEGIES: JSON.stringify({ cart: { strategy: 'union', id: 'sku' } }) });
    ({ issuer, smtp, server } = linking);
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
  });
  after(() => linking?.stop());

  /** A subject the issuer has not seen in this run. */
  const newSubject = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
  const link = (body: Record<string, unknown>) => postJson(server, '/accounts/link/id-token', { client_id: clientId, ...body });

  let subject: string;
  let accountId: string;

  it('promotes a guest with a cart in place: same sub, is_anonymous false, cart and verified address kept', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: [{ sku: 'apple', qty: 1 }] } });
    subject = newSubject('promoted');
    const idToken = await issuer.idTokenFor(subject, { nonce: 'nonce-promote' });
    const linked = await link({ id_token: idToken, nonce: 'nonce-promote', session_token: guest.body.session_token });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'promoted');
    accountId = guest.body.user_id;
    assert.equal(linked.body['user_id'], accountId);
    const claims = claimsOf(linked.body['access_token'] as string);
    assert.equal(claims['sub'], accountId);
    assert.equal(claims['is_anonymous'], false);

    const me = await getWithToken(server, '/accounts/me', linked.body['access_token'] as string);
    assert.deepEqual(me.body, {
      user_id: accountId,
      email: `${subject}@example.test`,
      is_anonymous: false,
      scope: '',
      metadata: { cart: [{ sku: 'apple', qty: 1 }] },
    });
    const refreshed = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(claimsOf(refreshed.body.access_token)['is_anonymous'], false);
  });

  it('merges another guest signing in with the same identity into that account, and records the alias', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: [{ sku: 'pear', qty: 2 }] } });
    const linked = await link({
      id_token: await issuer.idTokenFor(subject, { nonce: 'nonce-merge' }),
      nonce: 'nonce-merge',
      session_token: guest.body.session_token,
    });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'merged');
    assert.equal(linked.body['user_id'], accountId);

    const me = await getWithToken(server, '/accounts/me', linked.body['access_token'] as string);
    assert.deepEqual(me.body['metadata'], {
      cart: [
        { sku: 'apple', qty: 1 },
        { sku: 'pear', qty: 2 },
      ],
    });
    const alias = await admin.call('GET', `/admin/api/users/${guest.body.user_id}`);
    assert.equal(alias.status, 200);
    assert.equal(alias.body['merged_into'], accountId);
    assert.equal((await getWithToken(server, '/accounts/me', guest.body.access_token)).status, 401);
    assert.equal((await refreshGuest(server, clientId, guest.body.session_token)).body.error, 'invalid_grant');
  });

  it('logs the same identity in again without a guest', async () => {
    const linked = await link({ id_token: await issuer.idTokenFor(subject, { nonce: 'nonce-again' }), nonce: 'nonce-again' });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'verified');
    assert.equal(linked.body['user_id'], accountId);
  });

  it('creates a new account for a new identity presented without a guest', async () => {
    const fresh = newSubject('created');
    const linked = await link({ id_token: await issuer.idTokenFor(fresh, { nonce: 'nonce-create' }), nonce: 'nonce-create' });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'created');
    assert.notEqual(linked.body['user_id'], accountId);
    assert.equal(claimsOf(linked.body['access_token'] as string)['is_anonymous'], false);
    const me = await getWithToken(server, '/accounts/me', linked.body['access_token'] as string);
    assert.deepEqual(me.body, { user_id: linked.body['user_id'], email: `${fresh}@example.test`, is_anonymous: false, scope: '', metadata: {} });
  });

  it('refuses a wrong nonce (400 invalid_grant) and leaves the guest a guest', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: [{ sku: 'fig', qty: 1 }] } });
    const idToken = await issuer.idTokenFor(newSubject('nonce'), { nonce: 'the-right-nonce' });
    const wrong = await link({ id_token: idToken, nonce: 'another-nonce', session_token: guest.body.session_token });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { error: 'invalid_grant', error_description: idTokenError.catalogue.NONCE_MISMATCH.description });
    const missing = await link({ id_token: idToken, session_token: guest.body.session_token });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: 'invalid_request', error_description: idTokenError.catalogue.NONCE_REQUIRED.description });

    const me = await getWithToken(server, '/accounts/me', guest.body.access_token);
    assert.deepEqual(me.body, { user_id: guest.body.user_id, email: null, is_anonymous: true, scope: '', metadata: { cart: [{ sku: 'fig', qty: 1 }] } });
  });

  it('refuses a token from an issuer that is not trusted, and one addressed to another client', async () => {
    const now = seconds();
    const foreign = await issuer.sign({ iss: 'https://issuer.example.org', sub: 'mallory', aud: issuer.clientId, nonce: 'n', iat: now, exp: now + 300 });
    const untrusted = await link({ id_token: foreign, nonce: 'n' });
    assert.deepEqual(untrusted.body, { error: 'invalid_grant', error_description: idTokenError.catalogue.ISSUER_NOT_TRUSTED.description });
    const elsewhere = await issuer.sign({ iss: issuer.issuer, sub: 'mallory', aud: 'another-client', nonce: 'n', iat: now, exp: now + 300 });
    const misaddressed = await link({ id_token: elsewhere, nonce: 'n' });
    assert.deepEqual(misaddressed.body, { error: 'invalid_grant', error_description: idTokenError.catalogue.ID_TOKEN_AUDIENCE_MISMATCH.description });
  });

  it('links an identity whose verified address is an existing password account’s to that account', async () => {
    const email = uniqueEmail('password-account');
    const account = await register(server, smtp, { clientId, email, password: 'a password account passphrase' });
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: [{ sku: 'kiwi', qty: 3 }] } });
    const idToken = await issuer.idTokenFor(newSubject('same-address'), { nonce: 'nonce-email', email });
    const linked = await link({ id_token: idToken, nonce: 'nonce-email', session_token: guest.body.session_token });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'merged');
    assert.equal(linked.body['user_id'], account.body['user_id']);
    const me = await getWithToken(server, '/accounts/me', linked.body['access_token'] as string);
    assert.equal(me.body['email'], email);
    assert.deepEqual(me.body['metadata'], { cart: [{ sku: 'kiwi', qty: 3 }] });
    // The password still works: the link added a way in, it did not replace one.
    assert.equal((await postJson(server, '/accounts/login', { client_id: clientId, email, password: 'a password account passphrase' })).status, 200);
  });

  it('refuses an address the issuer did not verify as a way into an existing account', async () => {
    const email = uniqueEmail('unverified');
    const account = await register(server, smtp, { clientId, email, password: 'another account passphrase' });
    const now = seconds();
    const unverified = await issuer.sign({
      iss: issuer.issuer,
      sub: newSubject('unverified'),
      aud: issuer.clientId,
      nonce: 'n',
      iat: now,
      exp: now + 300,
      email,
      email_verified: false,
    });
    const linked = await link({ id_token: unverified, nonce: 'n' });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], 'created');
    assert.notEqual(linked.body['user_id'], account.body['user_id']);
    const me = await getWithToken(server, '/accounts/me', linked.body['access_token'] as string);
    assert.equal(me.body['email'], null);
  });
});

describeEachDatabase('ID-token linking with no trusted issuer configured', (database) => {
  let server: TestServer;
  let issuer: OidcIssuer;

  before(async () => {
    issuer = await startOidcIssuer();
    // The development clients give a public client without spawning the CLI.
    server = await startTestServer({ database, env: { GUESTPASS_DEV_CLIENTS: 'true' } });
  });
  after(async () => {
    await server?.stop();
    await issuer?.stop();
  });

  it('refuses every ID token with LINKING_DISABLED', async () => {
    const clientId = server.devClients?.publicClientId;
    assert.ok(clientId);
    const linked = await postJson(server, '/accounts/link/id-token', {
      client_id: clientId,
      id_token: await issuer.idTokenFor('alice', { nonce: 'n' }),
      nonce: 'n',
    });
    assert.equal(linked.status, 400);
    assert.deepEqual(linked.body, { error: 'unsupported_token_type', error_description: idTokenError.catalogue.LINKING_DISABLED.description });
  });
});
