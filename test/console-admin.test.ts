import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { MailedServer } from './helpers/accounts.js';
import { describeWithBrowser } from './helpers/browser.js';
import { addOperator, openPage, screenshot, signIn, startConsoleServer } from './helpers/console.js';
import { createGuest, ORIGIN, refreshGuest } from './helpers/guests.js';
import { event, sendEvents } from './helpers/telemetry.js';

/** Sign-up floods trip after 8 new guests from one /24 (the same thresholds as the containment test). */
const DETECTION = {
  engine: { cold_floor_factor: 1 },
  detectors: { signup_flood: { prefix_floor: 8, containment: { action: 'block_prefix', duration_s: 600 } } },
};
const FLOODED = '198.18.7';
/** A second flood, raised after the security page is open: the live view must show it without a reload. */
const FLOODED_LIVE = '198.18.9';
/** The test is the one trusted proxy: X-Forwarded-For names the client. */
const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });

/**
 * An admin's day in the console, in Chromium against a real server whose data comes from real
 * HTTP traffic: guests, a conversion, telemetry, a sign-up flood that raised an alert and a
 * block. One browser and one server for the file; each step goes on where the last one ended.
 */
describeWithBrowser('console in Chromium: an admin signs in and works every page', (_browser, newContext) => {
  let mailed: MailedServer;
  let context: BrowserContext;
  let page: Page;
  let operator: { email: string; password: string };
  let storedGuest: { userId: string; sessionId: string; accessToken: string };
  let telemetryClientId: string;

  before(async () => {
    mailed = await startConsoleServer({ GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION) });
    const { server, admin } = mailed;

    // Guests, one of whom becomes the operator by signing up: a conversion.
    const converting = await createGuest(server, { client_id: mailed.clientId });
    operator = await addOperator(mailed, 'admin', { sessionToken: converting.body.session_token });

    // A guest with a stored session (a refresh writes its row), to revoke from the console.
    const created = await createGuest(server, { client_id: mailed.clientId, metadata: { cart: ['sku-1'] } });
    const refreshed = await refreshGuest(server, mailed.clientId, created.body.session_token);
    assert.equal(refreshed.status, 200);
    storedGuest = { userId: created.body.user_id, sessionId: created.body.session_id, accessToken: refreshed.body.access_token };

    // Telemetry: page views and checkouts from two app versions, some with durations and errors.
    telemetryClientId = await admin.publicClient({ scopes: ['telemetry:write'] });
    const guest = await createGuest(server, { client_id: telemetryClientId });
    const events = [
      ...Array.from({ length: 6 }, (_, index) => event({ name: 'page.view', context: { app_version: '1.4.0' }, metrics: { duration_ms: 80 + index * 10 } })),
      event({ name: 'checkout', context: { app_version: '1.5.0' }, metrics: { duration_ms: 900 } }),
      event({ name: 'checkout', context: { app_version: '1.5.0' }, metrics: { duration_ms: 1400 }, error: { type: 'PaymentDeclined' } }),
    ];
    const sent = await sendEvents(server, guest.body.access_token, events);
    assert.equal(sent.body.accepted, events.length, JSON.stringify(sent.body));

    // A sign-up flood from one network: an alert and a prefix block.
    await flood(FLOODED);

    context = await newContext();
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await mailed?.stop();
  });

  /** New guests from one /24 until the sign-up flood detector blocks it. */
  async function flood(prefix: string): Promise<void> {
    let refused = false;
    for (let host = 1; host < 60 && !refused; host++)
      refused = (await createGuest(mailed.server, { client_id: mailed.clientId }, from(`${prefix}.${host}`))).status === 403;
    assert.ok(refused, `the flood from ${prefix}.0/24 was never blocked`);
  }

  it('should show the sign-in page first, quickly, and sign in with e-mail and password', async () => {
    // Chromium starts a tab's renderer on its first navigation: start it first, so the time is the console's.
    await page.goto('about:blank');
    const started = performance.now();
    await page.goto(`${mailed.server.url}/admin/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const firstLoad = performance.now() - started;
    // The page's own clock (the root tsconfig has no DOM types, hence the expression as text).
    const timing = await page.evaluate<number>("Math.round(performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? -1)");
    // Measured, not asserted tightly (the machine is shared): the issue asks for under 1 s on loopback.
    // What it fetched: the sign-in page needs the shell's script and stylesheet only (pages are chunks of their own).
    const fetched = await page.evaluate<{ name: string; bytes: number }[]>(
      "performance.getEntriesByType('resource').map((entry) => ({ name: new URL(entry.name).pathname, bytes: entry.transferSize }))",
    );
    const scripts = fetched.filter((entry) => entry.name.startsWith('/admin/assets/'));
    console.log(
      `console first load on loopback: sign-in form visible after ${Math.round(firstLoad)} ms (load event at ${timing} ms); ` +
        `${scripts.length} assets, ${Math.round(scripts.reduce((sum, entry) => sum + entry.bytes, 0) / 1024)} KB transferred`,
    );
    assert.ok(firstLoad < 10_000, `first load took ${Math.round(firstLoad)} ms`);
    assert.ok(!scripts.some((entry) => /\/(Chart|Overview|Analytics)-/.test(entry.name)), `the sign-in page loaded a page's chunk: ${JSON.stringify(scripts)}`);
    // A second visit: the hashed assets come from the cache (immutable), only index.html is asked again.
    const warmStarted = performance.now();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    console.log(`console reload on loopback: sign-in form visible after ${Math.round(performance.now() - warmStarted)} ms`);
    await screenshot(page, 'sign-in');

    await signIn(page, mailed.server.url, operator);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/overview');
  });

  it('should draw the overview charts with the traffic the server saw', async () => {
    await page.locator('.chart-canvas canvas').first().waitFor();
    assert.equal(await page.locator('.chart-canvas canvas').count(), 4);
    const total = async (key: string) => Number((await page.locator(`[data-total="${key}"]`).textContent())?.replaceAll(',', ''));
    assert.ok((await total('guests_created')) >= 10, `guests created: ${await total('guests_created')}`);
    assert.ok((await total('conversions')) >= 1, `conversions: ${await total('conversions')}`);
    assert.ok((await total('alerts')) >= 1, `alerts: ${await total('alerts')}`);
    assert.ok((await total('active_users_24h')) >= 1, `active users: ${await total('active_users_24h')}`);
    assert.ok((await total('registered_users')) >= 1, `registered users: ${await total('registered_users')}`);
    await screenshot(page, 'overview');

    await page.getByLabel('Last 30 days').check();
    await page.waitForURL(/range=30d/);
    await page.locator('.chart-canvas canvas').first().waitFor();
    assert.ok((await total('guests_created')) >= 10);
  });

  it('should filter analytics by event name and group by app version', async () => {
    await openPage(page, 'Analytics');
    const eventsTotal = page.getByTestId('events-total');
    await eventsTotal.filter({ hasText: '8 events' }).waitFor();
    await page.getByLabel('Event name', { exact: true }).fill('checkout');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventsTotal.filter({ hasText: '2 events' }).waitFor();
    assert.match(page.url(), /name=checkout/);
    // Error rate by app version: the one checkout in two that failed, under 1.5.0.
    await page.getByRole('list', { name: 'Error rate by app version' }).getByText('1.5.0').waitFor();
    assert.match((await page.getByRole('list', { name: 'Error rate by app version' }).textContent()) ?? '', /50 %/);

    await page.getByLabel('Event name', { exact: true }).fill('');
    await page.getByLabel('Group by').selectOption('app_version');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventsTotal.filter({ hasText: '8 events' }).waitFor();
    await page.locator('.chart-canvas canvas').first().waitFor();
    // Percentiles over time drew a chart (durations were sent).
    await page.getByText('p50, p95 and p99 per hour (UTC)').waitFor();
    await screenshot(page, 'analytics');
  });

  it('should mark the flood alert a false positive with a note, see its block lifted, and the log should say who did it', async () => {
    await openPage(page, 'Security');
    const blockRow = page.locator(`[data-block-id]`, { hasText: `${FLOODED}.0/24` });
    await blockRow.waitFor();
    await page.locator('tr', { hasText: 'signup_flood' }).getByRole('link', { name: 'signup_flood' }).click();
    await page.getByRole('heading', { name: 'Evidence' }).waitFor();
    await screenshot(page, 'security');

    await page.getByLabel(/^Note/).fill('office event: one venue Wi-Fi');
    await page.getByRole('button', { name: 'False positive' }).click();
    await page.getByText('Recorded: False positive.').waitFor();
    await blockRow.waitFor({ state: 'detached' });
    await page.getByTestId('alert-status').filter({ hasText: 'False positive' }).waitFor();
    await page.getByText('office event: one venue Wi-Fi').waitFor();
    // The network is served again.
    assert.equal((await createGuest(mailed.server, { client_id: mailed.clientId }, from(`${FLOODED}.200`))).status, 200);

    // The event log: the verdict, the block it lifted, and the operator's write.
    const logged = async (type: string) =>
      ((await mailed.admin.call('GET', `/admin/api/audit?type=${type}`)).body['events'] as Record<string, unknown>[]) ?? [];
    const [verdict] = await logged('alert.verdict');
    assert.equal(verdict?.['status'], 'false_positive', JSON.stringify(verdict));
    assert.equal(verdict?.['has_note'], true);
    const [lifted] = await logged('block.lifted');
    assert.equal(lifted?.['reason'], 'false_positive', JSON.stringify(lifted));
    const actions = await logged('admin.action');
    assert.ok(
      actions.some((action) => action['actor_kind'] === 'operator' && action['method'] === 'PATCH' && action['route'] === '/admin/api/alerts/:id'),
      JSON.stringify(actions),
    );
  });

  it('should show a new alert and block live, record a confirmed verdict, and drop a block lifted elsewhere, all without a reload', async () => {
    await page.goto(`${mailed.server.url}/admin/security`);
    await page.locator('[data-live="live"]').waitFor();
    // Nothing polls while live: only the stream can bring these rows.
    await flood(FLOODED_LIVE);
    const blockRow = page.locator(`[data-block-id]`, { hasText: `${FLOODED_LIVE}.0/24` });
    await blockRow.waitFor({ timeout: 15_000 });
    const alertRow = page.locator('tr', { hasText: `${FLOODED_LIVE}.0/24` }).filter({ has: page.getByRole('link', { name: 'signup_flood' }) });
    await alertRow.waitFor({ timeout: 15_000 });

    await alertRow.getByRole('link', { name: 'signup_flood' }).click();
    await page.getByRole('button', { name: 'Confirmed' }).click();
    await page.getByText('Recorded: Confirmed.').waitFor();
    const stored = (await mailed.admin.call('GET', `/admin/api/alerts?status=confirmed`)).body['alerts'] as { entity: { id: string } }[];
    assert.ok(
      stored.some((alert) => alert.entity.id.startsWith(FLOODED_LIVE)),
      JSON.stringify(stored),
    );
    // A confirmed verdict keeps the block; another operator (here an API client) lifts it.
    const blockId = await blockRow.getAttribute('data-block-id');
    assert.equal((await mailed.admin.call('DELETE', `/admin/api/blocks/${blockId}`)).status, 204);
    await blockRow.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('should revoke a session from the console and see its access token refused', async () => {
    const before = await fetch(`${mailed.server.url}/anonymous/session`, { headers: { authorization: `Bearer ${storedGuest.accessToken}` } });
    assert.equal(before.status, 200);
    await openPage(page, 'Users & sessions');
    await page.getByLabel('User id').fill(storedGuest.userId);
    await page.getByRole('button', { name: 'Find' }).click();
    const row = page.locator(`[data-session-id="${storedGuest.sessionId}"]`);
    await row.getByText('active').waitFor();
    await page.getByText('"sku-1"').waitFor();
    await screenshot(page, 'users');

    await row.getByRole('button', { name: /^Revoke/ }).click();
    await row.getByText('revoked', { exact: true }).waitFor();
    const after = await fetch(`${mailed.server.url}/anonymous/session`, { headers: { authorization: `Bearer ${storedGuest.accessToken}` } });
    assert.equal(after.status, 401);
  });

  it('should create a confidential client, show its secret once, and the client should get a token with it', async () => {
    await openPage(page, 'Clients');
    await page.getByLabel('Name', { exact: true }).fill('Shop backend');
    await page.getByLabel(/Confidential/).check();
    await page.getByLabel('client_credentials').check();
    await page.getByRole('button', { name: 'Create client' }).click();
    const clientId = (await page.getByTestId('created-client-id').textContent()) ?? '';
    const secret = await page.getByTestId('client-secret').inputValue();
    assert.ok(clientId && secret.length >= 32, `client ${clientId}, secret of ${secret.length} characters`);

    const token = await fetch(`${mailed.server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(token.status, 200, await token.clone().text());
    assert.ok(((await token.json()) as { access_token?: string }).access_token);

    // The list shows it; its page edits guest settings, and refuses a setting that does not exist.
    await page.getByRole('link', { name: 'Shop backend' }).click();
    const editor = page.getByLabel('Guest settings (JSON)');
    await editor.waitFor();
    await editor.fill('{"session_ttl": 3600, "colour": "blue"}');
    await page.getByText('"colour" is not a guest setting').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save guest settings' }).isDisabled(), true);
    await editor.fill('{"session_ttl": 3600}');
    await page.getByRole('button', { name: 'Save guest settings' }).click();
    await page.getByText('Saved.').first().waitFor();
    await screenshot(page, 'clients');
    const stored = await mailed.admin.call('GET', `/admin/api/clients/${clientId}`);
    assert.equal((stored.body['guest'] as { session_ttl: number }).session_ttl, 3600);
  });

  it('should preview the guest cull and list webhook endpoints', async () => {
    await openPage(page, 'Lifecycle & webhooks');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('cull-preview').waitFor();
    await page.getByText(/No webhook endpoint/).waitFor();
    await screenshot(page, 'lifecycle');
  });

  it('should be readable at a phone’s width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openPage(page, 'Overview');
    await page.locator('.chart-canvas canvas').first().waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than the phone`);
    await screenshot(page, 'overview-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('should sign out, and the session should be gone on the server', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    const status = await page.evaluate(async () => (await fetch('/admin/api/session')).status);
    assert.equal(status, 401);
    await page.goto(`${mailed.server.url}/admin/security`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
