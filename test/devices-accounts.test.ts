import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { registeredAccount, startMailedServer, type MailedServer } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { FormBrowser, hiddenField } from './helpers/device-browser.js';
import { claimsOf, createGuest } from './helpers/guests.js';

const PASSWORD = 'correct horse battery staple';

/**
 * Approving a device as a registered account from a browser that holds no account session:
 * the verification page's e-mail and password form, checked by the accounts feature's one
 * login check with its rate limits, never by the devices feature.
 */
describeEachDatabase('device authorization as a registered account', (database) => {
  let mailed: MailedServer;
  let config: oidc.Configuration;
  let account: { id: string; email: string };

  before(async () => {
    // The login limit per account is low so that the case about it needs few attempts; every
    // request comes from loopback, so the per-address user-code limit is lifted.
    mailed = await startMailedServer(database, {
      GUESTPASS_DEVICE_POLL_INTERVAL: '1',
      GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
      GUESTPASS_USER_CODE_RATE_LIMIT_PER_IP: '0',
    });
    const { server } = mailed;
    const { client_id: tvClient } = await server.createClient(['--name', 'Console app', '--type', 'public', '--grant', 'device_code']);
    config = await oidc.discovery(new URL(server.ctx.issuer.value), tvClient, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    account = await registeredAccount(server, mailed.smtp, mailed.clientId, 'device-account', PASSWORD);
  });
  after(() => mailed.stop());

  /** Opens the code's page in `browser` and submits its sign-in form. */
  async function signIn(browser: FormBrowser, uriComplete: string, fields: Record<string, string>) {
    const page = await browser.get(uriComplete);
    assert.equal(page.status, 200, page.html);
    return browser.post('/device', {
      user_code: hiddenField(page.html, 'user_code'),
      csrf_token: hiddenField(page.html, 'csrf_token'),
      action: 'approve_account',
      ...fields,
    });
  }

  it('offers the sign-in form to a browser without an account session, and gives the device the account’s tokens', async () => {
    const browser = new FormBrowser(mailed.server);
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await browser.get(response.verification_uri_complete!);
    assert.match(page.html, /name="password"/);
    assert.match(page.html, /value="approve_account"/);
    assert.doesNotMatch(page.html, /<script/i);
    const approved: unknown[] = [];
    const stop = mailed.server.ctx.events.on('device.approved', (event) => approved.push(event));
    const decided = await signIn(browser, response.verification_uri_complete!, { email: account.email, password: PASSWORD });
    stop();
    assert.equal(decided.status, 200, decided.html);
    assert.match(decided.html, /Device connected/);
    assert.equal(decided.headers.getSetCookie().filter((line) => line.startsWith('gp_session=')).length, 0, 'the browser stays signed out');

    const claims = claimsOf((await polling).access_token);
    assert.equal(claims['sub'], account.id);
    assert.equal(claims['is_anonymous'], false);
    assert.deepEqual(
      approved.map((event) => [(event as { approved_as: string }).approved_as, (event as { subject: string }).subject]),
      [['account', account.id]],
    );
  });

  it('also offers it beside "continue as the guest" when the browser holds a guest session', async () => {
    const webClient = await mailed.admin.publicClient({ transport: 'cookie' });
    const guest = await createGuest(mailed.server, { client_id: webClient, transport: 'cookie' });
    const browser = new FormBrowser(mailed.server);
    const cookie = guest.headers.getSetCookie().find((line) => line.startsWith('gp_session='))!;
    browser.setCookie('gp_session', cookie.split(';')[0]!.slice('gp_session='.length));
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const page = await browser.get(response.verification_uri_complete!);
    assert.match(page.html, /Continue as the guest of this browser/);
    assert.match(page.html, /value="approve_account"/);
    assert.match(page.html, /value="approve_new_guest"/);
  });

  it('refuses a wrong password with the login error and a way back, reports it, and approves nothing', async () => {
    const browser = new FormBrowser(mailed.server);
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const failed: unknown[] = [];
    const stop = mailed.server.ctx.events.on('login.failed', (event) => failed.push(event));
    const refused = await signIn(browser, response.verification_uri_complete!, { email: account.email, password: 'not the password' });
    stop();
    assert.equal(refused.status, 400, refused.html);
    assert.match(refused.html, /e-mail address or the password is wrong/);
    assert.match(refused.html, /<a href="\/device\?user_code=/);
    assert.equal(failed.length, 1, 'login.failed, as POST /accounts/login reports it');
    const missing = await signIn(browser, response.verification_uri_complete!, { email: account.email });
    assert.equal(missing.status, 400);
    assert.match(missing.html, /both the e-mail address and the password/);
    const poll = await fetch(`${mailed.server.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: response.device_code,
        client_id: config.clientMetadata().client_id,
      }),
    });
    assert.equal(((await poll.json()) as { error: string }).error, 'authorization_pending');
  });

  it('counts page sign-ins against the account’s login limit, shared with POST /accounts/login', async () => {
    const target = await registeredAccount(mailed.server, mailed.smtp, mailed.clientId, 'device-limit', PASSWORD);
    const statuses: number[] = [];
    // Each attempt on a code of its own: the per-code limit is not what stops them.
    for (let i = 0; i < 3; i++) {
      const response = await oidc.initiateDeviceAuthorization(config, {});
      statuses.push(
        (await signIn(new FormBrowser(mailed.server), response.verification_uri_complete!, { email: target.email, password: `wrong ${i}` })).status,
      );
    }
    assert.deepEqual(statuses, [400, 400, 400]);
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const throttled = await signIn(new FormBrowser(mailed.server), response.verification_uri_complete!, { email: target.email, password: PASSWORD });
    assert.equal(throttled.status, 429, throttled.html);
    assert.ok(throttled.headers.get('retry-after'));
    const api = await fetch(`${mailed.server.url}/accounts/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({ client_id: mailed.clientId, email: target.email, password: PASSWORD }),
    });
    assert.equal(api.status, 429, 'one limit for the page and the API');
  });
});
