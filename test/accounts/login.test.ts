import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { DomainEvents } from '../../src/events/types.js';
import { postJson, register, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { GuestAdmin } from '../helpers/guests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';

const PASSWORD = 'the real passphrase';
const PER_ACCOUNT = 3;
const PER_IP = 15;

type LoginEvent = { type: 'login.failed'; event: DomainEvents['login.failed'] } | { type: 'login.succeeded'; event: DomainEvents['login.succeeded'] };

describeEachDatabase('login throttling and login events', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let clientId: string;
  let email: string;
  let accountId: string;
  const events: LoginEvent[] = [];
  const unsubscribe: Array<() => void> = [];

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database,
      env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT), GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: String(PER_IP) },
    });
    clientId = await new GuestAdmin(server).publicClient();
    email = uniqueEmail('Throttled').toLowerCase();
    accountId = (await register(server, smtp, { clientId, email, password: PASSWORD })).body['user_id'] as string;
    unsubscribe.push(
      server.ctx.events.on('login.failed', (event) => events.push({ type: 'login.failed', event })),
      server.ctx.events.on('login.succeeded', (event) => events.push({ type: 'login.succeeded', event })),
    );
  });
  after(async () => {
    for (const off of unsubscribe) off();
    await server?.stop();
    await smtp?.stop();
  });

  const logIn = (address: string, password: string) => postJson(server, '/accounts/login', { client_id: clientId, email: address, password });

  /** No trace of the address: not whole, not its local part, not in another case. */
  const assertNoAddress = (event: object) => {
    const text = JSON.stringify(event).toLowerCase();
    assert.ok(!text.includes(email) && !text.includes(email.split('@')[0]!) && !text.includes('@'), `the event carries the address: ${text}`);
  };

  it('emits login.failed and login.succeeded with the same account_key and never the address', async () => {
    events.length = 0;
    assert.equal((await logIn(email, 'not the passphrase')).status, 400);
    // The address is matched case-insensitively, and keyed the same way.
    const ok = await logIn(email.toUpperCase(), PASSWORD);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await logIn(uniqueEmail('stranger'), 'not the passphrase')).status, 400);

    assert.deepEqual(
      events.map((e) => e.type),
      ['login.failed', 'login.succeeded', 'login.failed'],
    );
    const [failed, succeeded, stranger] = events.map((e) => e.event as unknown as Record<string, unknown>);
    for (const event of [failed!, succeeded!, stranger!]) {
      assertNoAddress(event);
      assert.equal(typeof event['account_key'], 'string');
      assert.equal(typeof event['time'], 'number');
      assert.equal('email' in event, false);
    }
    assert.equal(failed!['reason'], 'bad_credentials');
    assert.equal(succeeded!['account_key'], failed!['account_key']);
    assert.notEqual(stranger!['account_key'], failed!['account_key']);
    assert.equal(succeeded!['subject'], accountId);
    assert.equal(succeeded!['method'], 'password');
    assert.equal(succeeded!['client_id'], clientId);
    assert.equal(succeeded!['session_id'], ok.body['session_id']);
  });

  it(`throttles logins per account: after ${PER_ACCOUNT} attempts, 429 with Retry-After, even with the right password`, async () => {
    const target = uniqueEmail('target');
    await register(server, smtp, { clientId, email: target, password: PASSWORD });
    events.length = 0;
    for (let attempt = 1; attempt <= PER_ACCOUNT; attempt++) assert.equal((await logIn(target, 'a guessed passphrase')).status, 400, `attempt ${attempt}`);

    for (const password of ['another guess at it', PASSWORD]) {
      const throttled = await logIn(target, password);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body['error'], 'rate_limited');
      assert.match(String(throttled.body['error_description']), /this account/);
      const retryAfter = Number(throttled.headers.get('retry-after'));
      // The sliding-window estimate can point past the 15-minute window, never past two of them.
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 2 * 15 * 60, `Retry-After: ${throttled.headers.get('retry-after')}`);
    }
    // A throttled attempt is still an attempt on the account, for the detectors.
    const throttledEvents = events.filter((e) => e.type === 'login.failed' && e.event.reason === 'throttled');
    assert.equal(throttledEvents.length, 2);
    for (const { event } of throttledEvents) assertNoAddress(event);

    // Another account from the same address is not held back.
    assert.equal((await logIn(email, PASSWORD)).status, 200);
  });

  it('throttles account requests per IP address, sign-up included', async () => {
    let refused: Awaited<ReturnType<typeof logIn>> | undefined;
    for (let attempt = 0; attempt < PER_IP && !refused; attempt++) {
      const answer = await logIn(uniqueEmail('spray'), 'a sprayed passphrase');
      if (answer.status === 429) refused = answer;
      else assert.equal(answer.status, 400);
    }
    assert.ok(refused, `no 429 within ${PER_IP} more attempts`);
    assert.match(String(refused.body['error_description']), /this IP address/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const signup = await postJson(server, '/accounts/signup', { client_id: clientId, email: uniqueEmail('late') });
    assert.equal(signup.status, 429);
  });
});
