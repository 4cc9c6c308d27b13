import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { accountError } from '../../src/accounts/error-codes.js';
import { PROOF_TTL_MS } from '../../src/accounts/proofs.js';
import { linkTokenIn, nextMailTo, postForm, postJson, textOf, uniqueEmail, startMailedServer, type MailedServer } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { claimsOf, createGuest, refreshGuest } from '../helpers/guests.js';
import type { TestServer } from '../helpers/server.js';
import { codeIn, linkIn, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'a long and unusual passphrase';
const describe = (code: keyof typeof accountError.catalogue) => accountError.catalogue[code].description;

/** Another 6-digit code than `code`. */
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describeEachDatabase('e-mail verification codes and links', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let clientId: string;

  let fixture: MailedServer;
  before(async () => {
    fixture = await startMailedServer(database);
    ({ smtp, server, clientId } = fixture);
  });
  after(() => fixture?.stop());

  /** Signs up and returns the mail that came for it. */
  const signUp = async (email: string, extra: Record<string, unknown> = {}) => {
    const seen = smtp.messages.length;
    const response = await postJson(server, '/accounts/signup', { client_id: clientId, email, ...extra });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return nextMailTo(smtp, email, seen);
  };
  const verify = (email: string, code: string) => postJson(server, '/accounts/verify', { client_id: clientId, email, code });
  const logIn = (email: string, password: string) => postJson(server, '/accounts/login', { client_id: clientId, email, password });

  it('locks a code after five wrong codes: the right code then fails with CODE_LOCKED', async () => {
    const email = uniqueEmail('locked');
    const code = codeIn(await signUp(email, { password: PASSWORD }));
    for (let attempt = 1; attempt <= 4; attempt++) {
      const wrong = await verify(email, wrongCode(code));
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body, { error: 'invalid_grant', error_description: describe('INVALID_CODE') }, `attempt ${attempt}`);
    }
    const fifth = await verify(email, wrongCode(code));
    assert.deepEqual(fifth.body, { error: 'invalid_grant', error_description: describe('CODE_LOCKED') });

    const right = await verify(email, code);
    assert.equal(right.status, 400);
    assert.deepEqual(right.body, { error: 'invalid_grant', error_description: describe('CODE_LOCKED') });
    // Nothing was registered by the locked code.
    assert.equal((await logIn(email, PASSWORD)).status, 400);

    // As the error says, signing up again mails a fresh code that works.
    const fresh = codeIn(await signUp(email, { password: PASSWORD }));
    assert.equal((await verify(email, fresh)).status, 200);
    assert.equal((await logIn(email, PASSWORD)).status, 200);
  });

  it('counts malformed codes as wrong attempts too', async () => {
    const email = uniqueEmail('malformed');
    const code = codeIn(await signUp(email));
    for (const malformed of ['12345', 'abcdef', '1234567', '', ' 12345']) assert.equal((await verify(email, malformed)).body['error'], 'invalid_grant');
    assert.deepEqual((await verify(email, code)).body, { error: 'invalid_grant', error_description: describe('CODE_LOCKED') });
  });

  it('refuses the code and the link of an earlier mail once a newer sign-up superseded them', async () => {
    const email = uniqueEmail('superseded');
    const first = await signUp(email);
    const second = await signUp(email);
    const [oldCode, newCode] = [codeIn(first), codeIn(second)];

    const oldLink = await postJson(server, '/accounts/verify', { client_id: clientId, token: linkTokenIn(first) });
    assert.deepEqual(oldLink.body, { error: 'invalid_grant', error_description: describe('INVALID_CODE') });
    // One chance in a million that both mails drew the same code; then there is nothing to refuse.
    if (oldCode !== newCode) assert.equal((await verify(email, oldCode)).body['error'], 'invalid_grant');

    const verified = await verify(email, newCode);
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'created');
  });

  it('refuses a code whose ten minutes have passed', async () => {
    const email = uniqueEmail('expired');
    const code = codeIn(await signUp(email));
    const { db } = server.ctx.store;
    const row = await db.selectFrom('email_tokens').select(['id', 'created_at', 'expires_at']).where('email', '=', email).executeTakeFirstOrThrow();
    assert.equal(row.expires_at - row.created_at, PROOF_TTL_MS);
    // The server's clock cannot be moved from here, so the proof is aged instead: as if issued 10 minutes and 1 ms ago.
    await db
      .updateTable('email_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', row.id)
      .execute();
    const late = await verify(email, code);
    assert.deepEqual(late.body, { error: 'invalid_grant', error_description: describe('INVALID_CODE') });
  });

  it('accepts a code only once', async () => {
    const email = uniqueEmail('once');
    const code = codeIn(await signUp(email));
    assert.equal((await verify(email, code)).status, 200);
    const again = await verify(email, code);
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, { error: 'invalid_grant', error_description: describe('INVALID_CODE') });
  });

  it('shows a page with a form for GET on the mailed link without using the token (a scanner prefetch), and confirms on its POST', async () => {
    const email = uniqueEmail('link');
    const mail = await signUp(email, { password: PASSWORD });
    const link = linkIn(mail);
    assert.equal(new URL(link).origin, server.url);
    const token = linkTokenIn(mail);

    // A mail scanner follows the link, twice even: each time a page, nothing used up.
    for (let fetchNumber = 0; fetchNumber < 2; fetchNumber++) {
      const page = await textOf(await fetch(link));
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.text, /<form method="post" action="\/accounts\/verify\/link">/);
      assert.ok(page.text.includes(`name="token" value="${token}"`));
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
    assert.equal((await logIn(email, PASSWORD)).status, 400, 'the address is not proven until the form is posted');

    const confirmed = await postForm(server, '/accounts/verify/link', { token });
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.text, /Address confirmed/);
    assert.equal((await logIn(email, PASSWORD)).status, 200);

    const replayed = await postForm(server, '/accounts/verify/link', { token });
    assert.equal(replayed.status, 400);
    assert.match(replayed.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(replayed.text, /This link cannot be used/);
  });

  it('verifies with the link token in JSON and promotes the guest that signed up', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { theme: 'dark' } });
    const email = uniqueEmail('json-link');
    const mail = await signUp(email, { session_token: guest.body.session_token });
    const verified = await postJson(server, '/accounts/verify', { client_id: clientId, token: linkTokenIn(mail) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body['outcome'], 'promoted');
    assert.equal(verified.body['user_id'], guest.body.user_id);
    assert.equal(claimsOf(verified.body['access_token'] as string)['is_anonymous'], false);
    // The code of the same mail was the same proof: it is used up too.
    assert.equal((await verify(email, codeIn(mail))).body['error'], 'invalid_grant');
  });

  it('refuses a verification that mixes the code and the link token, or sends neither', async () => {
    const email = uniqueEmail('mixed');
    const mail = await signUp(email);
    const mixed = await postJson(server, '/accounts/verify', { client_id: clientId, email, code: codeIn(mail), token: linkTokenIn(mail) });
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body['error'], 'invalid_grant');
    assert.equal((await postJson(server, '/accounts/verify', { client_id: clientId })).status, 400);
    // Neither attempt used the proof up.
    assert.equal((await verify(email, codeIn(mail))).status, 200);
  });

  it('lets exactly one of several parallel submissions of the right code succeed', async () => {
    const guest = await createGuest(server, { client_id: clientId, metadata: { cart: ['tea'] } });
    const email = uniqueEmail('parallel');
    const code = codeIn(await signUp(email, { session_token: guest.body.session_token }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => verify(email, code)));
    const won = answers.filter((answer) => answer.status === 200);
    assert.equal(won.length, 1, JSON.stringify(answers.map((answer) => answer.body)));
    assert.equal(won[0]!.body['outcome'], 'promoted');
    assert.equal(won[0]!.body['user_id'], guest.body.user_id);
    for (const lost of answers.filter((answer) => answer.status !== 200)) {
      assert.equal(lost.status, 400);
      assert.equal(lost.body['error'], 'invalid_grant');
    }
    const refreshed = await refreshGuest(server, clientId, guest.body.session_token);
    assert.equal(claimsOf(refreshed.body.access_token)['is_anonymous'], false);
  });
});
