import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { describeEachDatabase } from './helpers/databases.js';
import { FormBrowser, hiddenField } from './helpers/device-browser.js';
import { claimsOf, createGuest, GuestAdmin, json, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * RFC 8628 end to end: a TV app (openid-client's device functions) asks for codes and polls
 * while a person approves at the verification page over plain HTTP forms, as a browser without
 * JavaScript would; the polling answers of §3.5; codes hashed and single-use; CSRF; opt-in.
 */
describeEachDatabase('device authorization (RFC 8628)', (database) => {
  let server: TestServer;
  let tvClient: string;
  let webClient: string;
  let config: oidc.Configuration;
  let clockOffset = 0;

  before(async () => {
    server = await startTestServer({
      database,
      // One trusted hop: the rate-limit cases speak from addresses of their own (X-Forwarded-For).
      // Every device starts from loopback, so its own limit is raised above what the cases ask.
      env: {
        GUESTPASS_DEVICE_POLL_INTERVAL: '1',
        GUESTPASS_DEVICE_RATE_LIMIT_PER_IP: '200',
        GUESTPASS_TRUSTED_PROXIES: '1',
        GUESTPASS_GEOIP_DATABASE: 'none',
        GUESTPASS_GEOIP_ASN_DATABASE: 'none',
      },
      now: () => Date.now() + clockOffset,
    });
    ({ client_id: tvClient } = await server.createClient([
      '--name',
      'Living-room TV',
      '--type',
      'public',
      '--grant',
      'device_code',
      '--grant',
      'refresh_token',
    ]));
    webClient = await new GuestAdmin(server).publicClient({ transport: 'cookie' });
    config = await oidc.discovery(new URL(server.ctx.issuer.value), tvClient, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  });
  after(() => server.stop());

  /** Each person's browser speaks from an address of its own, as people do: the per-address limits stay each case's own. */
  let nextAddress = 1;
  const newBrowser = () => new FormBrowser(server, { 'x-forwarded-for': `198.51.100.${nextAddress++}` });

  /** A browser holding a cookie-mode guest session of the web client. */
  async function browserWithGuest(): Promise<{ browser: FormBrowser; userId: string; sessionId: string }> {
    const guest = await createGuest(server, { client_id: webClient, transport: 'cookie' });
    assert.equal(guest.status, 200);
    const browser = newBrowser();
    const cookie = guest.headers.getSetCookie().find((line) => line.startsWith('gp_session='))!;
    browser.setCookie('gp_session', cookie.split(';')[0]!.slice('gp_session='.length));
    return { browser, userId: guest.body.user_id, sessionId: guest.body.session_id };
  }

  /** Opens verification_uri_complete and presses one of the page's buttons. */
  async function decide(browser: FormBrowser, uriComplete: string, action: string) {
    const page = await browser.get(uriComplete);
    assert.equal(page.status, 200, page.html);
    return browser.post('/device', { user_code: hiddenField(page.html, 'user_code'), csrf_token: hiddenField(page.html, 'csrf_token'), action });
  }

  const poll = async (deviceCode: string, clientId = tvClient) =>
    json(
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
      }),
    );

  it('advertises the device authorization endpoint and grant in the discovery document', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.device_authorization_endpoint, `${server.ctx.issuer.value}/oauth/device_authorization`);
    assert.ok(metadata.grant_types_supported?.includes(DEVICE_GRANT));
  });

  it('gives the device tokens for the same guest as the approving browser, with a session of its own', async () => {
    const { browser, userId, sessionId } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    assert.match(response.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(response.verification_uri, `${server.ctx.issuer.value}/device`);
    assert.equal(response.verification_uri_complete, `${server.ctx.issuer.value}/device?user_code=${response.user_code}`);
    assert.equal(response.interval, 1);
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await browser.get(response.verification_uri_complete!);
    assert.match(page.html, /Living-room TV/);
    assert.match(page.html, /Continue as the guest of this browser/);
    assert.doesNotMatch(page.html, /<script/i);
    const decided = await browser.post('/device', {
      user_code: hiddenField(page.html, 'user_code'),
      csrf_token: hiddenField(page.html, 'csrf_token'),
      action: 'approve',
    });
    assert.equal(decided.status, 200, decided.html);
    assert.match(decided.html, /Device connected/);

    const tokens = await polling;
    const claims = claimsOf(tokens.access_token);
    assert.equal(claims['sub'], userId, 'the same user');
    assert.notEqual(claims['sid'], sessionId, 'a session of its own');
    assert.equal(claims['client_id'], tvClient);
    assert.equal(claims['is_anonymous'], true);
    assert.ok(tokens.refresh_token, 'the session token, as a refresh token');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(claimsOf(refreshed.access_token)['sub'], userId);
  });

  it('signs the device in as a new guest when the person chooses so, even without a session', async () => {
    const browser = newBrowser();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    const page = await browser.get(response.verification_uri_complete!);
    assert.doesNotMatch(page.html, /value="approve"/, 'no session to continue as');
    const decided = await browser.post('/device', {
      user_code: hiddenField(page.html, 'user_code'),
      csrf_token: hiddenField(page.html, 'csrf_token'),
      action: 'approve_new_guest',
    });
    assert.equal(decided.status, 200, decided.html);
    const tokens = await polling;
    const claims = claimsOf(tokens.access_token);
    assert.equal(claims['is_anonymous'], true);
    assert.ok(await server.ctx.userStore.get(claims['sub'] as string), 'the new guest has a row');
  });

  it('answers access_denied once the person denies the device', async () => {
    const { browser } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const polling = oidc.pollDeviceAuthorizationGrant(config, response).then(
      () => assert.fail('tokens after a denial'),
      (error: unknown) => error,
    );
    const decided = await decide(browser, response.verification_uri_complete!, 'deny');
    assert.equal(decided.status, 200);
    const error = (await polling) as oidc.ResponseBodyError;
    assert.equal(error.error, 'access_denied');
  });

  it('answers authorization_pending, then slow_down with an interval 5 s longer, as RFC 8628 §3.5 says', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const first = await poll(response.device_code);
    assert.deepEqual([first.status, first.body['error']], [400, 'authorization_pending']);
    const tooSoon = await poll(response.device_code);
    assert.equal(tooSoon.body['error'], 'slow_down');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await poll(response.device_code)).body['error'], 'slow_down', 'the interval is now 6 s');
  });

  it('exchanges an approved device code once, and only for its own client', async () => {
    const { browser } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    await decide(browser, response.verification_uri_complete!, 'approve');
    const { client_id: otherTv } = await server.createClient(['--name', 'Other TV', '--type', 'public', '--grant', 'device_code']);
    const other = await poll(response.device_code, otherTv);
    assert.equal(other.body['error'], 'invalid_grant', 'another client cannot redeem it');
    const tokens = await poll(response.device_code);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const again = await poll(response.device_code);
    assert.deepEqual([again.status, again.body['error']], [400, 'invalid_grant']);
    const reused = await browser.get(response.verification_uri_complete!);
    assert.equal(reused.status, 400, 'the user code is used up too');
  });

  it('starts nothing for a user erased between the approval and the poll', async () => {
    const { browser, userId } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    assert.equal((await decide(browser, response.verification_uri_complete!, 'approve')).status, 200);
    const erased = await new GuestAdmin(server).call('DELETE', `/admin/api/users/${userId}`);
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    const polled = await poll(response.device_code);
    assert.deepEqual([polled.status, polled.body['error']], [400, 'invalid_grant']);
    assert.equal(await server.ctx.userStore.get(userId), undefined, 'the erased guest is not revived');
  });

  it('answers expired_token after expires_in, and refuses the expired user code at the page', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, {});
    clockOffset = (response.expires_in + 1) * 1000;
    try {
      assert.equal((await poll(response.device_code)).body['error'], 'expired_token');
      const page = await newBrowser().get(response.verification_uri_complete!);
      assert.equal(page.status, 400);
      assert.match(page.html, /unknown or has expired/);
    } finally {
      clockOffset = 0;
    }
  });

  it('stores neither code, only their hashes', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const rows = await server.ctx.store.db.selectFrom('device_authorizations').selectAll().execute();
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(response.device_code) && !dump.includes(response.user_code) && !dump.includes(response.user_code.replace('-', '')));
  });

  it('refuses a decision posted without the page’s CSRF token, or from another site', async () => {
    const { browser } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const page = await browser.get(response.verification_uri_complete!);
    const fields = { user_code: hiddenField(page.html, 'user_code'), csrf_token: hiddenField(page.html, 'csrf_token'), action: 'approve' };
    const forged = await browser.post('/device', { ...fields, csrf_token: 'x'.repeat(43) });
    assert.equal(forged.status, 403);
    const crossSite = await browser.post('/device', fields, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    const otherBrowser = await newBrowser().post('/device', fields);
    assert.equal(otherBrowser.status, 403, 'the token is only good with its own cookie');
    assert.equal((await poll(response.device_code)).body['error'], 'authorization_pending', 'nothing was approved');
    const unknownField = await browser.post('/device', { ...fields, extra: '1' });
    assert.equal(unknownField.status, 400);
  });

  it('takes the decision as a form only: the same fields as JSON are refused with 415 and approve nothing', async () => {
    const { browser } = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const page = await browser.get(response.verification_uri_complete!);
    const fields = { user_code: hiddenField(page.html, 'user_code'), csrf_token: hiddenField(page.html, 'csrf_token'), action: 'approve' };
    const asJson = await browser.postJson('/device', fields);
    assert.equal(asJson.status, 415);
    const body = JSON.parse(asJson.html) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /application\/x-www-form-urlencoded, not application\/json/);
    assert.equal((await poll(response.device_code)).body['error'], 'authorization_pending', 'nothing was approved');
    assert.equal((await browser.post('/device', fields)).status, 200, 'the form with the same fields still works');
  });

  it('refuses the grant to a client that did not opt in', async () => {
    const refused = await json(
      await fetch(`${server.url}/oauth/device_authorization`, {
        method: 'POST',
        headers: { origin: ORIGIN },
        body: new URLSearchParams({ client_id: webClient }),
      }),
    );
    assert.deepEqual([refused.status, refused.body['error']], [400, 'unauthorized_client']);
    const polled = await poll('gpd_whatever', webClient);
    assert.equal(polled.body['error'], 'unauthorized_client');
  });

  it('limits uses of one user code per minute from any address, without touching other codes', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, {});
    // Five addresses of different networks, one use each: the per-address limit plays no part.
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const page = await fetch(response.verification_uri_complete!, { headers: { 'x-forwarded-for': `198.18.${i}.20` } });
      statuses.push(page.status);
      if (i === 6) {
        assert.ok(page.headers.get('retry-after'), 'Retry-After on the limited page');
        assert.match(await page.text(), /Too many requests from this code/);
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const other = await oidc.initiateDeviceAuthorization(config, {});
    assert.equal((await fetch(other.verification_uri_complete!, { headers: { 'x-forwarded-for': '198.18.7.20' } })).status, 200, 'another code is untouched');
    // Typed differently (lower case, a space) it is the same code, and as limited.
    const retyped = response.user_code.toLowerCase().replace('-', ' ');
    const limited = await fetch(`${server.url}/device?user_code=${encodeURIComponent(retyped)}`, { headers: { 'x-forwarded-for': '198.18.8.20' } });
    assert.equal(limited.status, 429);
  });

  it('limits user-code attempts per address, right codes as well as wrong ones', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await oidc.initiateDeviceAuthorization(config, {});
      statuses.push((await fetch(response.verification_uri_complete!, { headers: { 'x-forwarded-for': '192.0.2.44' } })).status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
    const elsewhere = await oidc.initiateDeviceAuthorization(config, {});
    assert.equal(
      (await fetch(elsewhere.verification_uri_complete!, { headers: { 'x-forwarded-for': '192.0.2.45' } })).status,
      200,
      'another address is untouched',
    );
  });

  it('decides a user code once: a second decision, from any browser, is refused and changes nothing', async () => {
    const first = await browserWithGuest();
    const second = await browserWithGuest();
    const response = await oidc.initiateDeviceAuthorization(config, {});
    const firstPage = await first.browser.get(response.verification_uri_complete!);
    const secondPage = await second.browser.get(response.verification_uri_complete!);
    const fields = (html: string, action: string) => ({ user_code: hiddenField(html, 'user_code'), csrf_token: hiddenField(html, 'csrf_token'), action });
    assert.equal((await first.browser.post('/device', fields(firstPage.html, 'approve'))).status, 200);
    // Both pages were open at once; the second is submitted after the first decided.
    const late = await second.browser.post('/device', fields(secondPage.html, 'deny'));
    assert.equal(late.status, 400);
    assert.match(late.html, /already approved or denied/);
    const again = await first.browser.post('/device', fields(firstPage.html, 'approve'));
    assert.equal(again.status, 400);
    const tokens = await poll(response.device_code);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(claimsOf(tokens.body['access_token'] as string)['sub'], first.userId, 'the first decision stands');
  });

  it('reports each wrong user code, and a burst of them gets the network blocked', async () => {
    const rejected: unknown[] = [];
    const stop = server.ctx.events.on('device.user_code_rejected', (event) => rejected.push(event));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await fetch(`${server.url}/device?user_code=BCDF-GHJ${'LMNPQRSTVW'[i % 10]}`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      statuses.push(response.status);
    }
    stop();
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(400));
    // The tenth wrong code tips user_code_guessing, whose containment blocks the /24 (403)
    // before the per-address limit (429) would answer the eleventh.
    assert.equal(statuses[10], 403);
    assert.equal(rejected.length, 10);
  });
});
