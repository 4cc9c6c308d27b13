import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import makeFetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { type MailedServer, nextMailTo, registeredAccount, startMailedServer, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { json, ORIGIN } from '../helpers/guests.js';
import { codeIn } from '../helpers/smtp-capture.js';

const PASSWORD = 'correct horse battery staple';

/**
 * Cookie mode (the session token in an HttpOnly cookie script never sees): the account
 * endpoints that carry a guest over take it from the cookie when the body names none, with the
 * same checks as a session token in the body, and an allowed Origin since the cookie rides along
 * by itself (CSRF).
 */
describeEachDatabase('accounts in cookie mode', (database) => {
  let mailed: MailedServer;
  let clientId: string;
  before(async () => {
    mailed = await startMailedServer(database);
    clientId = await mailed.admin.publicClient({ transport: 'cookie' });
  });
  after(() => mailed.stop());

  /** A browser of its own (a cookie jar) with a cookie-mode guest holding a cart. */
  async function cookieGuest(cart: string[]) {
    const jar = new CookieJar();
    const browser = makeFetchCookie(fetch, jar);
    const post = async (path: string, body: Record<string, unknown>, origin: string | null = ORIGIN) =>
      json(
        await browser(`${mailed.server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
          body: JSON.stringify(body),
        }),
      );
    const created = await post('/anonymous/token', { client_id: clientId });
    assert.equal(created.status, 200);
    const patched = await browser(`${mailed.server.url}/anonymous/session/metadata`, {
      method: 'PATCH',
      headers: { origin: ORIGIN, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ cart }),
    });
    assert.equal(patched.status, 200);
    return { userId: created.body['user_id'] as string, sessionId: created.body['session_id'] as string, post, browser, jar };
  }

  it('should promote the cookie’s guest when it signs up with a password, keeping its id and cart', async () => {
    const guest = await cookieGuest(['tea']);
    const email = uniqueEmail('cookie-signup');
    const seen = mailed.smtp.messages.length;
    const signup = await guest.post('/accounts/signup', { client_id: clientId, email, password: PASSWORD });
    assert.equal(signup.status, 202, JSON.stringify(signup.body));
    const code = codeIn(await nextMailTo(mailed.smtp, email, seen));
    const verified = await guest.post('/accounts/verify', { client_id: clientId, email, code });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['user_id'], guest.userId, 'the same user id: promotion in place');
    // The password was set at sign-up: logging in with it works.
    const login = await guest.post('/accounts/login', { client_id: clientId, email, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['user_id'], guest.userId);
    const me = await guest.browser(`${mailed.server.url}/anonymous/session`);
    assert.deepEqual(((await me.json()) as { metadata: unknown }).metadata, { cart: ['tea'] });
  });

  it('should merge the cookie’s guest into the account it logs into', async () => {
    const account = await registeredAccount(mailed.server, mailed.smtp, clientId, 'cookie-merge', PASSWORD);
    const guest = await cookieGuest(['mug']);
    const login = await guest.post('/accounts/login', { client_id: clientId, email: account.email, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['user_id'], account.id);
    assert.equal(login.body['merged_guest_id'], guest.userId);
    const session = await mailed.admin.call('GET', `/admin/api/sessions/${guest.sessionId}`);
    assert.ok(session.body['revoked_at'] ?? session.body['revoked'], `the merged guest’s session is revoked: ${JSON.stringify(session.body)}`);
  });

  it('should refuse a login that rides on the cookie from another origin or with no Origin (CSRF), and merge nothing', async () => {
    const account = await registeredAccount(mailed.server, mailed.smtp, clientId, 'cookie-csrf', PASSWORD);
    const guest = await cookieGuest(['stolen']);
    for (const origin of ['https://evil.example', null]) {
      const login = await guest.post('/accounts/login', { client_id: clientId, email: account.email, password: PASSWORD }, origin);
      assert.equal(login.status, 403, `${origin}: ${login.body['error']}`);
      assert.equal(login.body['error'], 'access_denied');
      assert.match(login.body['error_description'] as string, /Origin/);
    }
    const alive = await guest.browser(`${mailed.server.url}/anonymous/session`);
    assert.equal(alive.status, 200, 'the guest was not merged');
  });

  it('should log in without a merge when the cookie’s session has ended', async () => {
    const account = await registeredAccount(mailed.server, mailed.smtp, clientId, 'cookie-ended', PASSWORD);
    const guest = await cookieGuest(['kettle']);
    const revoked = await mailed.admin.call('POST', `/admin/api/sessions/${guest.sessionId}/revoke`);
    assert.ok(revoked.status < 300, JSON.stringify(revoked.body));
    const login = await guest.post('/accounts/login', { client_id: clientId, email: account.email, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['merged_guest_id'], undefined);
  });

  it('should leave alone the cookie of another client on the same issuer', async () => {
    const other = await mailed.admin.publicClient({ transport: 'cookie' });
    const account = await registeredAccount(mailed.server, mailed.smtp, other, 'cookie-other', PASSWORD);
    const guest = await cookieGuest(['honey']);
    const login = await guest.post('/accounts/login', { client_id: other, email: account.email, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body['merged_guest_id'], undefined);
    const alive = await guest.browser(`${mailed.server.url}/anonymous/session`);
    assert.equal(alive.status, 200, 'presenting it would have revoked it as a client mismatch');
  });
});
