import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import type { MailedServer } from './helpers/accounts.js';
import { describeWithBrowser } from './helpers/browser.js';
import { addOperator, fetchInPage, openPage, screenshot, signIn, startConsoleServer } from './helpers/console.js';

/** An authenticator app's code for the step `steps` after now (RFC 6238: SHA-1, 6 digits, 30 s). */
const totpCode = (secret: string, steps = 0) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

/**
 * What the console must refuse, in Chromium: a write without the CSRF token, a viewer's write
 * (the server is the judge, whatever the page shows), and a sign-in without the second factor
 * once one is set up; and the idle timeout that sends an operator back to sign-in.
 */
describeWithBrowser('console in Chromium: CSRF, roles, TOTP and the idle timeout', (_browser, newContext) => {
  let mailed: MailedServer;
  let admin: { email: string; password: string };
  let viewer: { email: string; password: string };
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<Page> => {
    const context = await newContext();
    contexts.push(context);
    return context.newPage();
  };

  before(async () => {
    mailed = await startConsoleServer();
    [admin, viewer] = await Promise.all([addOperator(mailed, 'admin'), addOperator(mailed, 'viewer')]);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await mailed?.stop();
  });

  const newClient = { name: 'from a script', type: 'public', allowed_origins: ['https://shop.example'] };
  const csrfOf = async (page: Page) => (await fetchInPage(page, '/admin/api/session')).body['csrf_token'] as string;

  it('should refuse an admin’s write without the CSRF token, and take it with the token', async () => {
    const page = await newPage();
    await signIn(page, mailed.server.url, admin);
    const without = await fetchInPage(page, '/admin/api/clients', { method: 'POST', body: newClient });
    assert.equal(without.status, 403);
    assert.equal(without.body['error'], 'csrf_failed');
    const wrong = await fetchInPage(page, '/admin/api/clients', { method: 'POST', headers: { 'x-csrf-token': 'not-the-token' }, body: newClient });
    assert.equal(wrong.status, 403);
    const right = await fetchInPage(page, '/admin/api/clients', { method: 'POST', headers: { 'x-csrf-token': await csrfOf(page) }, body: newClient });
    assert.equal(right.status, 201, JSON.stringify(right.body));
  });

  it('should show a viewer no write controls, and the server should refuse a viewer’s write', async () => {
    const page = await newPage();
    await signIn(page, mailed.server.url, viewer);
    await openPage(page, 'Clients');
    await page.getByRole('link', { name: 'from a script' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Create a client' }).count(), 0);
    await openPage(page, 'Lifecycle & webhooks');
    assert.equal(await page.getByRole('button', { name: 'Run the cull…' }).count(), 0);

    const refused = await fetchInPage(page, '/admin/api/clients', { method: 'POST', headers: { 'x-csrf-token': await csrfOf(page) }, body: newClient });
    assert.equal(refused.status, 403);
    assert.equal(refused.body['error'], 'insufficient_scope');
    assert.equal((await fetchInPage(page, '/admin/api/clients')).status, 200, 'a viewer reads');
  });

  it('should set up a second factor on the account page and ask for its code at the next sign-in', async () => {
    const page = await newPage();
    await signIn(page, mailed.server.url, admin);
    await openPage(page, 'Your account');
    await page.getByRole('button', { name: 'Set up a second factor' }).click();
    const secret = ((await page.locator('code.secret-text').textContent()) ?? '').trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await screenshot(page, 'account');
    await page.getByLabel('Code from your authenticator app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'Remove the second factor' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Authenticator code');
    await code.waitFor();
    // The next step's code: the one just used is spent (each step signs in once), and the server accepts one step ahead.
    await code.fill(totpCode(secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The overview; when the sign-in is refused instead, the failure quotes what the form says.
    const overview = page.getByRole('heading', { level: 1, name: 'Overview' });
    await overview.or(page.locator('form [role="alert"]')).first().waitFor();
    const said = await page.locator('main').textContent();
    assert.ok(await overview.isVisible(), `the sign-in with a code did not reach the overview: ${said}`);
  });

  it('should send an idle operator back to sign-in, and the server should have ended the session', async () => {
    const idle = await startConsoleServer({ GUESTPASS_CONSOLE_IDLE_TIMEOUT: '2s' });
    try {
      const operator = await addOperator(idle, 'viewer');
      const page = await newPage();
      await signIn(page, idle.server.url, operator);
      await page.getByText(/signed out after .* without activity/).waitFor({ timeout: 10_000 });
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.equal((await fetchInPage(page, '/admin/api/session')).status, 401);
    } finally {
      await idle.stop();
    }
  });
});
