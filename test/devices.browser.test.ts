import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { registeredAccount } from './helpers/accounts.js';
import { describeWithBrowser } from './helpers/browser.js';
import { claimsOf, createGuest, GuestAdmin } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type SmtpCapture, startSmtpCapture } from './helpers/smtp-capture.js';

const PASSWORD = 'correct horse battery staple';

/**
 * The verification page in real Chromium, with JavaScript turned off (the page needs none): a
 * device starts RFC 8628 with openid-client and polls, while a person opens
 * verification_uri_complete, or types the code at verification_uri, and presses a button.
 */
describeWithBrowser('device verification page in Chromium', (browser) => {
  let server: TestServer;
  let smtp: SmtpCapture;
  let config: oidc.Configuration;
  let webClient: string;

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database: 'sqlite',
      env: {
        GUESTPASS_DEVICE_POLL_INTERVAL: '1',
        GUESTPASS_SMTP_URL: smtp.url,
        GUESTPASS_USER_CODE_RATE_LIMIT_PER_IP: '0',
        GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000',
      },
    });
    const { client_id: tvClient } = await server.createClient(['--name', 'Living-room TV', '--type', 'public', '--grant', 'device_code']);
    webClient = await new GuestAdmin(server).publicClient({ transport: 'cookie' });
    config = await oidc.discovery(new URL(server.ctx.issuer.value), tvClient, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  /** A person's browser: no JavaScript, and its own cookies. */
  const person = () => browser().newContext({ javaScriptEnabled: false });

  /** Puts a cookie-mode guest session in the browser, as the web client's sign-in would have; returns its user. */
  async function withGuestSession(context: BrowserContext): Promise<string> {
    const guest = await createGuest(server, { client_id: webClient, transport: 'cookie' });
    assert.equal(guest.status, 200, JSON.stringify(guest.body));
    const line = guest.headers.getSetCookie().find((cookie) => cookie.startsWith('gp_session='))!;
    const value = line.split(';')[0]!.slice('gp_session='.length);
    await context.addCookies([{ name: 'gp_session', value, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
    return guest.body.user_id;
  }

  async function openCode(context: BrowserContext, response: oidc.DeviceAuthorizationResponse): Promise<Page> {
    const page = await context.newPage();
    const opened = await page.goto(response.verification_uri_complete!);
    assert.equal(opened?.status(), 200);
    assert.match((await page.textContent('body')) ?? '', /Living-room TV/);
    return page;
  }

  const heading = (page: Page) => page.locator('h1').textContent();

  it('approves as the guest of this browser: the device gets tokens with the same sub', async () => {
    const context = await person();
    const userId = await withGuestSession(context);
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await openCode(context, response);
    await page.getByRole('button', { name: 'Continue as the guest of this browser' }).click();
    assert.equal(await heading(page), 'Device connected');
    const claims = claimsOf((await polling).access_token);
    assert.equal(claims['sub'], userId);
    assert.equal(claims['is_anonymous'], true);
    await context.close();
  });

  it('approves as a new guest from a browser without a session, the code typed by hand', async () => {
    const context = await person();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await context.newPage();
    await page.goto(response.verification_uri);
    await page.getByLabel('Code shown on your device').fill(response.user_code.toLowerCase().replace('-', ' '));
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.equal(await page.getByRole('button', { name: 'Continue as the guest of this browser' }).count(), 0, 'no session to continue as');
    await page.getByRole('button', { name: 'Continue as a new guest' }).click();
    assert.equal(await heading(page), 'Device connected');
    const claims = claimsOf((await polling).access_token);
    assert.equal(claims['is_anonymous'], true);
    assert.ok(await server.ctx.userStore.get(claims['sub'] as string), 'the new guest has a row');
    await context.close();
  });

  it('denies: the device’s polling ends with access_denied', async () => {
    const context = await person();
    await withGuestSession(context);
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response).then(
      () => assert.fail('tokens after a denial'),
      (error: unknown) => error as oidc.ResponseBodyError,
    );
    const page = await openCode(context, response);
    await page.getByRole('button', { name: 'Deny' }).click();
    assert.equal(await heading(page), 'Device denied');
    assert.equal((await polling).error, 'access_denied');
    await context.close();
  });

  it('approves as a registered account signed in to on the page, after one wrong password', async () => {
    const account = await registeredAccount(server, smtp, webClient, 'device-chromium', PASSWORD);
    const context = await person();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await openCode(context, response);
    await page.getByLabel('E-mail address').fill(account.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in and continue' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /password is wrong/);
    await page.getByRole('link', { name: 'Back' }).click();
    await page.getByLabel('E-mail address').fill(account.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in and continue' }).click();
    assert.equal(await heading(page), 'Device connected');
    const claims = claimsOf((await polling).access_token);
    assert.equal(claims['sub'], account.id);
    assert.equal(claims['is_anonymous'], false);
    assert.equal((await context.cookies()).filter((cookie) => cookie.name === 'gp_session').length, 0, 'the browser stays signed out');
    await context.close();
  });
});
