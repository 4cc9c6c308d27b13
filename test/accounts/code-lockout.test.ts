import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { MAX_CODE_ATTEMPTS } from '../../src/accounts/proofs.js';
import { nextMailTo, postJson, postJsonText, register, startMailedServer, uniqueEmail, type MailedServer, type TextResponse } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';
import { codeIn, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'a long and unusual passphrase';
const NEW_PASSWORD = 'another long passphrase';

/** Status, body and content type: everything a caller could tell two answers apart by. */
const visible = (response: TextResponse) => ({ status: response.status, type: response.headers.get('content-type'), text: response.text });

/** A code other than the one mailed: guessing codes is what the lock-out is about. */
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/**
 * Wrong codes lock an address after the same number of attempts, with the same
 * answers, whether or not a proof is pending for it; otherwise the lock-out tells who has just
 * signed up (verify) or who is registered (reset).
 */
describeEachDatabase('code lock-out reveals nothing about the address', (database) => {
  let fixture: MailedServer;
  let server: TestServer;
  let smtp: SmtpCapture;
  let clientId: string;

  before(async () => {
    fixture = await startMailedServer(database);
    ({ server, smtp, clientId } = fixture);
  });
  after(() => fixture?.stop());

  const signUp = async (email: string) => {
    const seen = smtp.messages.length;
    assert.equal((await postJson(server, '/accounts/signup', { client_id: clientId, email })).status, 202);
    return codeIn(await nextMailTo(smtp, email, seen));
  };
  const verify = (email: string, code: string) => postJsonText(server, '/accounts/verify', { client_id: clientId, email, code });
  const forgot = (email: string) => postJson(server, '/accounts/password/forgot', { client_id: clientId, email });
  const reset = (email: string, code: string) => postJsonText(server, '/accounts/password/reset', { email, code, password: NEW_PASSWORD });
  const errorOf = (response: TextResponse) => (JSON.parse(response.text) as { error_description: string }).error_description;

  /** Sends `count` wrong codes for each address in turn and checks that every round answers alike. */
  const guessAlike = async (send: (email: string) => Promise<TextResponse>, emails: string[], count: number) => {
    const rounds: TextResponse[][] = [];
    for (let attempt = 1; attempt <= count; attempt++) {
      const answers = [];
      for (const email of emails) answers.push(await send(email));
      for (const answer of answers.slice(1)) assert.deepEqual(visible(answer), visible(answers[0]!), `attempt ${attempt}`);
      rounds.push(answers);
    }
    return rounds.map((answers) => answers[0]!);
  };

  it('locks verification after five wrong codes alike for a pending sign-up, a registered address and an unknown one', async () => {
    const pending = uniqueEmail('pending');
    const code = await signUp(pending);
    const registered = uniqueEmail('registered');
    await register(server, smtp, { clientId, email: registered, password: PASSWORD });
    const unknown = uniqueEmail('unknown');

    const answers = await guessAlike((email) => verify(email, wrongCode(code)), [pending, registered, unknown], MAX_CODE_ATTEMPTS + 1);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      answers.map(() => 400),
    );
    const locked = errorOf(answers[MAX_CODE_ATTEMPTS - 1]!);
    assert.match(locked, /Too many wrong codes/);
    assert.notEqual(errorOf(answers[MAX_CODE_ATTEMPTS - 2]!), locked, 'the fifth wrong code is the one that locks');
    assert.equal(errorOf(answers[MAX_CODE_ATTEMPTS]!), locked);
    assert.equal(errorOf(await verify(pending, code)), locked, 'the right code no longer helps');

    // As the error says, a new sign-up mails a code that works, and opens every address alike.
    const fresh = await signUp(pending);
    await signUp(unknown);
    const reopened = await guessAlike((email) => verify(email, wrongCode(fresh)), [pending, unknown], 1);
    assert.notEqual(errorOf(reopened[0]!), locked);
    assert.equal((await verify(pending, fresh)).status, 200);
  });

  it('locks password reset after five wrong codes alike for a registered and an unknown address, and a new request reopens both', async () => {
    const registered = uniqueEmail('reset-registered');
    await register(server, smtp, { clientId, email: registered, password: PASSWORD });
    const unknown = uniqueEmail('reset-unknown');
    const seen = smtp.messages.length;
    for (const email of [registered, unknown]) assert.equal((await forgot(email)).status, 202);
    const code = codeIn(await nextMailTo(smtp, registered, seen));

    const answers = await guessAlike((email) => reset(email, wrongCode(code)), [registered, unknown], MAX_CODE_ATTEMPTS + 1);
    const locked = errorOf(answers[MAX_CODE_ATTEMPTS - 1]!);
    assert.match(locked, /Too many wrong codes/);
    assert.notEqual(errorOf(answers[MAX_CODE_ATTEMPTS - 2]!), locked);
    assert.equal(errorOf(answers[MAX_CODE_ATTEMPTS]!), locked);

    const again = smtp.messages.length;
    for (const email of [registered, unknown]) assert.equal((await forgot(email)).status, 202);
    const fresh = codeIn(await nextMailTo(smtp, registered, again));
    const reopened = await guessAlike((email) => reset(email, wrongCode(fresh)), [registered, unknown], 1);
    assert.notEqual(errorOf(reopened[0]!), locked);
    assert.equal((await reset(registered, fresh)).status, 200);
  });

  it('lets parallel guesses through no faster for an address without a pending sign-up than for one with', async () => {
    const pending = uniqueEmail('parallel-pending');
    const code = await signUp(pending);
    const unknown = uniqueEmail('parallel-unknown');
    for (const email of [pending, unknown]) {
      const answers = await Promise.all(Array.from({ length: 3 * MAX_CODE_ATTEMPTS }, () => verify(email, wrongCode(code))));
      const notLocked = answers.filter((answer) => !/Too many wrong codes/.test(errorOf(answer)));
      assert.equal(notLocked.length, MAX_CODE_ATTEMPTS - 1, email.split('@')[0]);
    }
  });
});
