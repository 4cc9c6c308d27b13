import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { accountError } from '../../src/accounts/error-codes.js';
import {
  getWithToken,
  linkTokenIn,
  nextMailTo,
  postForm,
  postJson,
  register,
  textOf,
  uniqueEmail,
  startMailedServer,
  type MailedServer,
} from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, type GuestAdmin, json, refreshGuest, ORIGIN } from '../helpers/guests.js';
import type { TestServer } from '../helpers/server.js';
import { codeIn, linkIn, type SmtpCapture } from '../helpers/smtp-capture.js';

const OLD_PASSWORD = 'the passphrase I forgot';
const NEW_PASSWORD = 'a brand new passphrase';
const INVALID_RESET = { error: 'invalid_grant', error_description: accountError.catalogue.INVALID_RESET_TOKEN.description };

describeEachDatabase('password reset', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;

  let fixture: MailedServer;
  before(async () => {
    fixture = await startMailedServer(database);
    ({ smtp, server, admin, clientId } = fixture);
  });
  after(() => fixture?.stop());

  const logIn = (email: string, password: string) => postJson(server, '/accounts/login', { client_id: clientId, email, password });
  /** A registered account and the reset mail requested for it. */
  const accountWithResetMail = async (label: string) => {
    const email = uniqueEmail(label);
    const verified = await register(server, smtp, { clientId, email, password: OLD_PASSWORD });
    const seen = smtp.messages.length;
    const forgot = await postJson(server, '/accounts/password/forgot', { client_id: clientId, email });
    assert.equal(forgot.status, 202);
    return { email, verified, mail: await nextMailTo(smtp, email, seen) };
  };

  it('resets with the mailed link token: the new password works, the old fails, and every session of the account ends', async () => {
    const { email, verified, mail } = await accountWithResetMail('link');
    const accountId = verified.body['user_id'] as string;
    const login = await logIn(email, OLD_PASSWORD);
    const accessTokens = [verified.body['access_token'] as string, login.body['access_token'] as string];
    for (const token of accessTokens) assert.equal((await getWithToken(server, '/accounts/me', token)).status, 200);

    // The mailed link opens a page; fetching it (a mail scanner) uses nothing up.
    const link = linkIn(mail);
    assert.equal(new URL(link).pathname, '/accounts/password/reset');
    const page = await textOf(await fetch(link));
    assert.equal(page.status, 200);
    assert.match(page.text, /<form method="post" action="\/accounts\/password\/reset">/);

    const reset = await postJson(server, '/accounts/password/reset', { token: linkTokenIn(mail), password: NEW_PASSWORD });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(reset.body, { status: 'password_reset', user_id: accountId });

    assert.equal((await logIn(email, OLD_PASSWORD)).status, 400);
    const fresh = await logIn(email, NEW_PASSWORD);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body['user_id'], accountId);

    for (const token of accessTokens) {
      const me = await getWithToken(server, '/accounts/me', token);
      assert.equal(me.status, 401, JSON.stringify(me.body));
    }
    for (const sessionToken of [verified.body['session_token'] as string, login.body['session_token'] as string]) {
      const refreshed = await refreshGuest(server, clientId, sessionToken);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
    }
    assert.equal((await getWithToken(server, '/accounts/me', fresh.body['access_token'] as string)).status, 200);
  });

  it('resets with the mailed code and the address', async () => {
    const { email, mail } = await accountWithResetMail('code');
    const reset = await postJson(server, '/accounts/password/reset', { email, code: codeIn(mail), password: NEW_PASSWORD });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await logIn(email, NEW_PASSWORD)).status, 200);
    assert.equal((await logIn(email, OLD_PASSWORD)).status, 400);
  });

  it('uses a reset proof only once, whether through the page form, the token or the code', async () => {
    const { email, mail } = await accountWithResetMail('once');
    const token = linkTokenIn(mail);
    const viaForm = await postForm(server, '/accounts/password/reset', { token, password: NEW_PASSWORD });
    assert.equal(viaForm.status, 200);
    assert.match(viaForm.text, /Password changed/);

    const again = await postJson(server, '/accounts/password/reset', { token, password: 'yet another passphrase' });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, INVALID_RESET);
    const byCode = await postJson(server, '/accounts/password/reset', { email, code: codeIn(mail), password: 'yet another passphrase' });
    assert.equal(byCode.status, 400);
    assert.equal(byCode.body['error'], 'invalid_grant');
    const formAgain = await postForm(server, '/accounts/password/reset', { token, password: 'yet another passphrase' });
    assert.equal(formAgain.status, 400);
    assert.match(formAgain.text, /The password was not changed/);
    assert.equal((await logIn(email, NEW_PASSWORD)).status, 200);
  });

  it('refuses an unknown reset token', async () => {
    const reset = await postJson(server, '/accounts/password/reset', { token: 'x'.repeat(43), password: NEW_PASSWORD });
    assert.deepEqual(reset.body, INVALID_RESET);
  });

  it('refuses weak passwords with a sentence to act on, without using the token up', async () => {
    const { email, mail } = await accountWithResetMail('weak');
    const token = linkTokenIn(mail);
    for (const weak of ['short', 'qwertyuiop', 'Password123']) {
      const refused = await postJson(server, '/accounts/password/reset', { token, password: weak });
      assert.equal(refused.status, 400, weak);
      assert.equal(refused.body['error'], 'invalid_request');
      assert.match(String(refused.body['error_description']), /password/i);
    }
    assert.equal((await postJson(server, '/accounts/password/reset', { token, password: NEW_PASSWORD })).status, 200);
    assert.equal((await logIn(email, NEW_PASSWORD)).status, 200);
  });

  it('refuses a reset body that carries a session_token: a reset never carries a guest over', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: ['lamp'] } });
    const { email, verified, mail } = await accountWithResetMail('no-guest');
    const withGuest = await postJson(server, '/accounts/password/reset', {
      token: linkTokenIn(mail),
      password: NEW_PASSWORD,
      session_token: guest.body.session_token,
    });
    assert.equal(withGuest.status, 400);
    assert.equal(withGuest.body['error'], 'invalid_request');
    assert.match(String(withGuest.body['error_description']), /Unknown field "session_token"/);
    // The refused request used nothing up.
    assert.equal((await logIn(email, OLD_PASSWORD)).status, 200);

    // A guest that rides along on the headers (its session as bearer and as cookie) is ignored.
    const reset = await json(
      await fetch(`${server.url}/accounts/password/reset`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          authorization: `Bearer ${guest.body.session_token}`,
          cookie: `gp_session=${guest.body.session_token}`,
        },
        body: JSON.stringify({ token: linkTokenIn(mail), password: NEW_PASSWORD }),
      }),
    );
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(reset.body['user_id'], verified.body['user_id']);

    const stillGuest = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(stillGuest.status, 200);
    assert.equal(claimsOf(stillGuest.body.access_token)['sub'], guest.body.user_id);
    assert.equal(claimsOf(stillGuest.body.access_token)['is_anonymous'], true);
    const guestMe = await getWithToken(server, '/accounts/me', stillGuest.body.access_token);
    assert.deepEqual(guestMe.body, { user_id: guest.body.user_id, email: null, is_anonymous: true, scope: '', metadata: { cart: ['lamp'] } });

    const account = await logIn(email, NEW_PASSWORD);
    const accountMe = await getWithToken(server, '/accounts/me', account.body['access_token'] as string);
    assert.deepEqual(accountMe.body['metadata'], {});
    const guestRecord = await admin.call('GET', `/admin/api/users/${guest.body.user_id}`);
    assert.equal(guestRecord.body['merged_into'], null);
  });
});
