import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { getWithToken, nextMailTo, postJson, postJsonText, register, uniqueEmail, type TextResponse } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, refreshGuest } from '../helpers/guests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { codeIn, startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'the original passphrase';
const OTHER_PASSWORD = 'an intruder passphrase';

/** Status, body and content type: everything a caller could tell two answers apart by. */
const visible = (response: TextResponse) => ({ status: response.status, type: response.headers.get('content-type'), text: response.text });

describeEachDatabase('no account enumeration: registered and unregistered addresses answer alike', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let clientId: string;
  let registered: string;
  let accountId: string;

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({ database, env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000' } });
    clientId = await new GuestAdmin(server).publicClient();
    registered = uniqueEmail('registered');
    accountId = (await register(server, smtp, { clientId, email: registered, password: PASSWORD })).body['user_id'] as string;
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  const logIn = (email: string, password: string) => postJson(server, '/accounts/login', { client_id: clientId, email, password });

  it('answers sign-up with the same status and bytes for a registered and an unregistered address', async () => {
    for (const password of [undefined, OTHER_PASSWORD]) {
      const extra = password === undefined ? {} : { password };
      const known = await postJsonText(server, '/accounts/signup', { client_id: clientId, email: registered, ...extra });
      const unknown = await postJsonText(server, '/accounts/signup', { client_id: clientId, email: uniqueEmail('nobody'), ...extra });
      assert.equal(known.status, 202);
      assert.deepEqual(visible(known), visible(unknown));
    }
  });

  it('answers a failed login with the same status and bytes for a wrong password, an unknown address and an account without a password', async () => {
    const passwordless = uniqueEmail('passwordless');
    await register(server, smtp, { clientId, email: passwordless });
    const wrong = await postJsonText(server, '/accounts/login', { client_id: clientId, email: registered, password: 'not the password at all' });
    const unknown = await postJsonText(server, '/accounts/login', { client_id: clientId, email: uniqueEmail('nobody'), password: 'not the password at all' });
    const noPassword = await postJsonText(server, '/accounts/login', { client_id: clientId, email: passwordless, password: 'not the password at all' });
    assert.equal(wrong.status, 400);
    assert.equal((JSON.parse(wrong.text) as { error: string }).error, 'invalid_grant');
    assert.deepEqual(visible(unknown), visible(wrong));
    assert.deepEqual(visible(noPassword), visible(wrong));
  });

  it('answers a forgotten-password request with the same status and bytes, and mails only the registered address', async () => {
    const nobody = uniqueEmail('nobody');
    const seen = smtp.messages.length;
    const unknown = await postJsonText(server, '/accounts/password/forgot', { client_id: clientId, email: nobody });
    const known = await postJsonText(server, '/accounts/password/forgot', { client_id: clientId, email: registered });
    assert.equal(known.status, 202);
    assert.deepEqual(visible(known), visible(unknown));
    // Both mails would leave right after their answers; by the time the second arrives, the first would have.
    await nextMailTo(smtp, registered, seen);
    assert.equal(smtp.messages.filter((mail) => mail.to.includes(nobody)).length, 0);
  });

  it('answers the same when an address has had its five mails in 15 minutes, and sends no sixth (mail bombing)', async () => {
    const target = uniqueEmail('bombed');
    const seen = smtp.messages.length;
    const answers = [];
    for (let request = 0; request < 6; request++) answers.push(await postJsonText(server, '/accounts/signup', { client_id: clientId, email: target }));
    for (const answer of answers) assert.deepEqual(visible(answer), visible(answers[0]!));
    // Mail goes over a pool of SMTP connections, so arrival order is not send order: wait for
    // the five, then for a marker sent after all six, and only then count.
    const toTarget = () => smtp.messages.slice(seen).filter((mail) => mail.to.includes(target)).length;
    for (const deadline = Date.now() + 10_000; toTarget() < 5 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    const marker = uniqueEmail('marker');
    await postJson(server, '/accounts/signup', { client_id: clientId, email: marker });
    await nextMailTo(smtp, marker, seen);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(toTarget(), 5);
  });

  it('never replaces an existing password by a sign-up, even once the code of that sign-up is verified', async () => {
    const seen = smtp.messages.length;
    const signup = await postJson(server, '/accounts/signup', { client_id: clientId, email: registered, password: OTHER_PASSWORD });
    assert.equal(signup.status, 202);
    const verified = await postJson(server, '/accounts/verify', {
      client_id: clientId,
      email: registered,
      code: codeIn(await nextMailTo(smtp, registered, seen)),
    });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'verified');
    assert.equal(verified.body['user_id'], accountId);

    assert.equal((await logIn(registered, OTHER_PASSWORD)).status, 400);
    const old = await logIn(registered, PASSWORD);
    assert.equal(old.status, 200);
    assert.equal(old.body['user_id'], accountId);
  });

  it('merges a guest into the registered account when a sign-up for that address is verified', async () => {
    // Its own account: an address gets at most five mails per 15 minutes, and the tests above spent them.
    const registered = uniqueEmail('merge-target');
    const accountId = (await register(server, smtp, { clientId, email: registered, password: PASSWORD })).body['user_id'] as string;
    const guest = await createGuest(server, { client_id: clientId, metadata: { wishlist: ['kettle'] } });
    const seen = smtp.messages.length;
    await postJson(server, '/accounts/signup', { client_id: clientId, email: registered, session_token: guest.body.session_token });
    // Until the code is used, the guest is untouched.
    const before = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(claimsOf(before.body.access_token)['is_anonymous'], true);

    const verified = await postJson(server, '/accounts/verify', {
      client_id: clientId,
      email: registered,
      code: codeIn(await nextMailTo(smtp, registered, seen)),
    });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'merged');
    assert.equal(verified.body['user_id'], accountId);
    const me = await getWithToken(server, '/accounts/me', verified.body['access_token'] as string);
    assert.deepEqual(me.body['metadata'], { wishlist: ['kettle'] });

    const stale = await refreshGuest(server, clientId, before.body.session_token);
    assert.equal(stale.status, 400);
    assert.equal(stale.body.error, 'invalid_grant');
    assert.equal((await getWithToken(server, '/accounts/me', before.body.access_token)).status, 401);
  });
});
