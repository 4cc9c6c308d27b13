import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { getWithToken, nextMailTo, postJson, register, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, json, ORIGIN, refreshGuest } from '../helpers/guests.js';
import { startLinkingServer, type LinkingServer } from '../helpers/linking.js';
import type { OidcIssuer } from '../helpers/oidc-issuer.js';
import type { TestServer } from '../helpers/server.js';
import { codeIn, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'a registered passphrase';
const GUEST_SCOPE = 'cart:write';
const USER_SCOPES = 'cart:write orders:read profile:write';

describeEachDatabase('account scopes: registered users get the client’s user scopes, guests never', (database) => {
  let linking: LinkingServer;
  let issuer: OidcIssuer;
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;

  before(async () => {
    linking = await startLinkingServer(database);
    ({ issuer, smtp, server } = linking);
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ scopes: [GUEST_SCOPE] }, { scopes: USER_SCOPES.split(' '), user: { scopes: USER_SCOPES.split(' ') } });
  });
  after(() => linking?.stop());

  const convertAndVerify = async (accessToken: string, email: string, extra: Record<string, unknown> = {}) => {
    const seen = smtp.messages.length;
    const converted = await json(
      await fetch(`${server.url}/anonymous/convert`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify({ email }),
      }),
    );
    assert.equal(converted.status, 202, JSON.stringify(converted.body));
    const code = codeIn(await nextMailTo(smtp, email, seen));
    return postJson(server, '/accounts/verify', { client_id: clientId, email, code, ...extra });
  };
  const sessionScope = async (token: string) => (await getWithToken(server, '/anonymous/session', token)).body['scope'];
  const meScope = async (token: string) => (await getWithToken(server, '/accounts/me', token)).body['scope'];

  it('gives a guest only the guest scopes, shown by GET /anonymous/session and /accounts/me', async () => {
    const guest = await createGuest(server, { client_id: clientId });
    assert.equal(guest.status, 200);
    assert.equal(guest.body.scope, GUEST_SCOPE);
    assert.equal(claimsOf(guest.body.access_token)['scope'], GUEST_SCOPE);
    assert.equal(await sessionScope(guest.body.access_token), GUEST_SCOPE);
    assert.equal(await sessionScope(guest.body.session_token), GUEST_SCOPE);
    assert.equal(await meScope(guest.body.access_token), GUEST_SCOPE);

    const refreshed = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(refreshed.status, 200);
    assert.equal(claimsOf(refreshed.body.access_token)['scope'], GUEST_SCOPE, 'a guest’s refresh never gains a user scope');
  });

  it('refuses a guest that asks for a user scope (invalid_scope)', async () => {
    const asked = await createGuest(server, { client_id: clientId, scope: 'orders:read' });
    assert.equal(asked.status, 400);
    assert.equal(asked.body['error' as keyof typeof asked.body], 'invalid_scope');
  });

  it('issues the user scopes at conversion, and the guest’s own session token carries them from its next refresh', async () => {
    const guest = await createGuest(server, { client_id: clientId });
    const verified = await convertAndVerify(guest.body.access_token, uniqueEmail('scoped-convert'));
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['scope'], USER_SCOPES);
    const accountToken = verified.body['access_token'] as string;
    assert.equal(claimsOf(accountToken)['scope'], USER_SCOPES);
    assert.equal(await meScope(accountToken), USER_SCOPES);
    assert.equal(await sessionScope(accountToken), USER_SCOPES);

    // The guest's session lives on; its session token was sealed with the guest scope.
    assert.equal(await sessionScope(guest.body.session_token), GUEST_SCOPE);
    const refreshed = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.scope, USER_SCOPES);
    assert.equal(claimsOf(refreshed.body.access_token)['scope'], USER_SCOPES);
    assert.equal(claimsOf(refreshed.body.access_token)['is_anonymous'], false);
    assert.equal(await sessionScope(refreshed.body.session_token), USER_SCOPES);
    const again = await refreshGuest(server, clientId, refreshed.body.session_token);
    assert.equal(claimsOf(again.body.access_token)['scope'], USER_SCOPES, 'and keeps them');
  });

  it('keeps a session that named its scope to what it named, before and after conversion', async () => {
    const guest = await createGuest(server, { client_id: clientId, scope: GUEST_SCOPE });
    const verified = await convertAndVerify(guest.body.access_token, uniqueEmail('named-scope'), { scope: 'orders:read' });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(claimsOf(verified.body['access_token'] as string)['scope'], 'orders:read', 'the new session asked for one user scope');
    const accountRefresh = await refreshGuest(server, clientId, verified.body['session_token'] as string);
    assert.equal(claimsOf(accountRefresh.body.access_token)['scope'], 'orders:read');

    const guestRefresh = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(guestRefresh.status, 200);
    assert.equal(claimsOf(guestRefresh.body.access_token)['scope'], GUEST_SCOPE, 'the guest session asked for cart:write only');
  });

  it('issues the user scopes at login, and to the account a guest is merged into at login', async () => {
    const email = uniqueEmail('scoped-login');
    const registered = await register(server, smtp, { clientId, email, password: PASSWORD });
    assert.equal(registered.body['outcome'], 'created');
    assert.equal(claimsOf(registered.body['access_token'] as string)['scope'], USER_SCOPES);

    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: ['pear'] } });
    const login = await postJson(server, '/accounts/login', { client_id: clientId, email, password: PASSWORD, session_token: guest.body.session_token });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['merged_guest_id'], guest.body.user_id);
    assert.equal(login.body['scope'], USER_SCOPES);
    assert.equal(claimsOf(login.body['access_token'] as string)['scope'], USER_SCOPES);
    assert.equal(await meScope(login.body['access_token'] as string), USER_SCOPES);
    assert.equal((await refreshGuest(server, clientId, guest.body.session_token)).status, 400, 'the merged guest’s session is over');

    const narrowed = await postJson(server, '/accounts/login', { client_id: clientId, email, password: PASSWORD, scope: 'profile:write' });
    assert.equal(claimsOf(narrowed.body['access_token'] as string)['scope'], 'profile:write');
  });

  it('issues the user scopes when an ID token promotes a guest or merges one into its account', async () => {
    const subject = `scoped-${randomUUID().slice(0, 8)}`;
    const first = await createGuest(server, { client_id: clientId });
    const promoted = await postJson(server, '/accounts/link/id-token', {
      client_id: clientId,
      id_token: await issuer.idTokenFor(subject, { nonce: 'n-1' }),
      nonce: 'n-1',
      session_token: first.body.session_token,
    });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(promoted.body['outcome'], 'promoted');
    assert.equal(claimsOf(promoted.body['access_token'] as string)['scope'], USER_SCOPES);

    const second = await createGuest(server, { client_id: clientId });
    const merged = await postJson(server, '/accounts/link/id-token', {
      client_id: clientId,
      id_token: await issuer.idTokenFor(subject, { nonce: 'n-2' }),
      nonce: 'n-2',
      session_token: second.body.session_token,
    });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    assert.equal(merged.body['outcome'], 'merged');
    assert.equal(claimsOf(merged.body['access_token'] as string)['scope'], USER_SCOPES);
  });

  it('follows the client’s user scopes at the next refresh when an administrator narrows them', async () => {
    const scoped = await admin.publicClient({ scopes: [GUEST_SCOPE] }, { scopes: USER_SCOPES.split(' '), user: { scopes: USER_SCOPES.split(' ') } });
    const email = uniqueEmail('narrowed');
    const registered = await register(server, smtp, { clientId: scoped, email, password: PASSWORD });
    assert.equal(claimsOf(registered.body['access_token'] as string)['scope'], USER_SCOPES);
    const patched = await admin.call('PATCH', `/admin/api/clients/${scoped}`, { user: { scopes: ['cart:write', 'orders:read'] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    // The change applies at once: this server made it, and its client cache hears client.updated.
    const refreshed = await refreshGuest(server, scoped, registered.body['session_token'] as string);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(claimsOf(refreshed.body.access_token)['scope'], 'cart:write orders:read');
  });

  it('gives registered users the guest scopes when the client sets no user scopes, and follows them', async () => {
    const plain = await admin.publicClient({ scopes: [GUEST_SCOPE] });
    const view = await admin.call('GET', `/admin/api/clients/${plain}`);
    assert.deepEqual(view.body['user'], { scopes: null });
    const registered = await register(server, smtp, { clientId: plain, email: uniqueEmail('plain'), password: PASSWORD });
    assert.equal(claimsOf(registered.body['access_token'] as string)['scope'], GUEST_SCOPE);

    assert.equal((await admin.call('PATCH', `/admin/api/clients/${plain}`, { guest: { scopes: [GUEST_SCOPE, 'wishlist:write'] } })).status, 200);
    const refreshed = await refreshGuest(server, plain, registered.body['session_token'] as string);
    assert.equal(claimsOf(refreshed.body.access_token)['scope'], `${GUEST_SCOPE} wishlist:write`);
  });
});
