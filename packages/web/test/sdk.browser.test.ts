import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { uniqueEmail } from '../../../test/helpers/accounts.js';
import { describeWithBrowser } from '../../../test/helpers/browser.js';
import { postgresUrl } from '../../../test/helpers/databases.js';
import { GuestAdmin } from '../../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { codeIn, type SmtpCapture, startSmtpCapture } from '../../../test/helpers/smtp-capture.js';
import type { Guestpass, GuestpassChange } from '../src/index.js';
import { openPage, type PageParams, type PageServer, pageUrl, startPageServer } from './harness.js';

/** What the test page puts on `window`. */
interface TestWindow {
  gp: Guestpass;
  changes: GuestpassChange[];
  GuestpassError: new (...args: never[]) => Error;
}
declare const window: TestWindow;

/**
 * The server and the page run on one clock SPEED times the wall clock, so a 30 s access token
 * (the shortest a client may set) lives 1 s of real time: several lifetimes fit in seconds.
 */
const SPEED = 30;
const TTL = 30;
const LIFETIME_MS = (TTL * 1000) / SPEED;

describeWithBrowser('@guestpass/web in Chromium against a real server', (_browser, newContext) => {
  const t0 = Date.now();
  let server: TestServer;
  let smtp: SmtpCapture;
  let pages: PageServer;
  let clientId: string;

  /** A fresh admin each time: an admin token lives 15 min of the fast clock, 30 s of the test. */
  const admin = () => new GuestAdmin(server);
  const url = (params: Partial<PageParams> = {}) => pageUrl(pages.origin, { issuer: server.url, client: clientId, t0, speed: SPEED, ...params });

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database: 'sqlite',
      now: () => t0 + (Date.now() - t0) * SPEED,
      // Nonces on: every DPoP flow goes through use_dpop_nonce once.
      env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_DPOP_REQUIRE_NONCE: 'true', GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000' },
    });
    pages = await startPageServer();
    // refresh_grace 0: a second presentation of any session token revokes the session at once.
    clientId = await admin().publicClient({ scopes: ['telemetry:write'], refresh_grace: 0 }, { allowed_origins: [pages.origin], access_token_ttl: TTL });
  });
  after(async () => {
    await pages?.close();
    await server?.stop();
    await smtp?.stop();
  });

  const storedSession = async (sessionId: string) => (await admin().call('GET', `/admin/api/sessions/${sessionId}`)).body;

  it('should create a guest on first load and keep it across a reload', async () => {
    const context = await newContext();
    const page = await openPage(context, url());
    const first = await page.evaluate(async () => ({
      token: await window.gp.getAccessToken(),
      session: await window.gp.getSession(),
      changes: window.changes,
    }));
    assert.equal(first.token.split('.').length, 3);
    assert.equal(first.session.is_anonymous, true);
    assert.deepEqual(first.changes, [{ type: 'created', user: { id: first.session.user_id, isAnonymous: true }, sessionId: first.session.session_id }]);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const again = await page.evaluate(async () => (await window.gp.getSession()).session_id);
    assert.equal(again, first.session.session_id, 'the stored session is used after a reload');
    await context.close();
  });

  /** Two tabs call getSession() for six token lifetimes; the one session must rotate with no token presented twice. */
  async function refreshFromTwoTabs(backend: { server: TestServer; clientId: string }, nolocks: boolean, label: string) {
    const context = await newContext();
    const tabUrl = url({ nolocks, issuer: backend.server.url, client: backend.clientId });
    const tabs = [await openPage(context, tabUrl), await openPage(context, tabUrl)];
    const reusedHere: string[] = [];
    const off = backend.server.ctx.events.on('token.reused', (event) => reusedHere.push(event.session_id));
    // Each tab goes on until it has used seven access tokens (six rotations), however slow the
    // machine: a loaded one stretches the run rather than shortening the test of it.
    const hammer = (page: Page) =>
      page.evaluate(async (ms) => {
        const sessions = new Set<string>();
        const tokens = new Set<string>();
        let calls = 0;
        for (const end = Date.now() + ms; Date.now() < end && tokens.size < 7; calls++) {
          sessions.add((await window.gp.getSession()).session_id);
          tokens.add(await window.gp.getAccessToken());
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return { sessions: [...sessions], calls };
      }, 30 * LIFETIME_MS);
    const [a, b] = await Promise.all(tabs.map(hammer));
    off();
    const lockKind = await tabs[0]!.evaluate(async () =>
      navigator.locks ? 'web-locks' : (await indexedDB.databases()).some((db) => db.name === 'guestpass-locks') ? 'lease' : 'none',
    );
    assert.equal(lockKind, nolocks ? 'lease' : 'web-locks');
    assert.equal(a!.sessions.length, 1, 'one session throughout');
    assert.deepEqual(a!.sessions, b!.sessions, 'both tabs share it');
    assert.deepEqual(reusedHere, [], 'no token.reused event');
    const stored = (await new GuestAdmin(backend.server).call('GET', `/admin/api/sessions/${a!.sessions[0]}`)).body;
    assert.equal(stored['revoked_at'], null);
    // Seven access tokens, each from a rotation but the first.
    assert.ok((stored['generation'] as number) >= 6, `rotated ${stored['generation']} times`);
    console.log(`two tabs (${label}): ${a!.calls + b!.calls} calls, ${stored['generation']} rotations, 0 reuse`);
    await context.close();
  }

  for (const nolocks of [false, true]) {
    const label = nolocks ? 'IndexedDB lease fallback' : 'Web Locks';
    it(`should refresh from two tabs for six token lifetimes without presenting one session token twice (${label})`, () =>
      refreshFromTwoTabs({ server, clientId }, nolocks, label));
  }

  it('should refresh from two tabs without presenting one session token twice on PostgreSQL too', {
    skip: postgresUrl() ? false : 'PostgreSQL not reachable (set GUESTPASS_TEST_DATABASE_URL)',
  }, async () => {
    const pg = await startTestServer({ database: 'postgres', now: () => t0 + (Date.now() - t0) * SPEED });
    try {
      const pgClient = await new GuestAdmin(pg).publicClient({ refresh_grace: 0 }, { allowed_origins: [pages.origin], access_token_ttl: TTL });
      await refreshFromTwoTabs({ server: pg, clientId: pgClient }, false, 'Web Locks, PostgreSQL');
    } finally {
      await pg.stop();
    }
  });

  it('should keep a DPoP-bound session with a non-extractable key across reloads and refreshes', async () => {
    const context = await newContext();
    const page = await openPage(context, url({ dpop: true }));
    const readKey = () =>
      page.evaluate(
        () =>
          new Promise<{ extractable: boolean; algorithm: string }>((resolve, reject) => {
            const open = indexedDB.open('guestpass');
            open.onsuccess = () => {
              const store = open.result.transaction('kv').objectStore('kv');
              const keys = store.getAllKeys();
              keys.onsuccess = () => {
                const name = keys.result.find((key) => String(key).endsWith(' dpop'));
                const get = store.get(name!);
                get.onsuccess = () => resolve({ extractable: get.result.privateKey.extractable, algorithm: get.result.privateKey.algorithm.name });
              };
            };
            open.onerror = () => reject(open.error);
          }),
      );
    const first = await page.evaluate(async () => ({ token: await window.gp.getAccessToken(), session: await window.gp.getSession() }));
    const jkt = (claims(first.token)['cnf'] as { jkt?: string } | undefined)?.jkt;
    assert.ok(jkt, 'the access token is bound (cnf.jkt)');
    assert.deepEqual(await readKey(), { extractable: false, algorithm: 'ECDSA' });
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    await sleep(LIFETIME_MS * 1.2);
    const second = await page.evaluate(async () => ({ token: await window.gp.getAccessToken(), session: await window.gp.getSession() }));
    assert.equal(second.session.session_id, first.session.session_id);
    assert.notEqual(second.token, first.token, 'refreshed after the reload, with the stored key');
    assert.equal((claims(second.token)['cnf'] as { jkt: string }).jkt, jkt);
    const stored = await storedSession(first.session.session_id);
    assert.equal(stored['dpop_bound'], true);
    assert.equal(stored['revoked_at'], null);
    const next = await page.evaluate(async () => {
      await window.gp.logOut();
      return window.gp.getAccessToken();
    });
    assert.notEqual((claims(next)['cnf'] as { jkt: string }).jkt, jkt, 'the next guest gets a key of its own, unlinkable to the last');
    await context.close();
  });

  for (const dpop of [false, true]) {
    it(`should deliver queued events after the tab closes (${dpop ? 'DPoP: keep-alive fetch' : 'sendBeacon'})`, async () => {
      const context = await newContext();
      const page = await openPage(context, url({ dpop }));
      const userId = await page.evaluate(async () => {
        // Nothing asked for a token before: the first event gets one ready for the exit.
        window.gp.track('page.viewed', { path: '/cart' });
        window.gp.track('cart.added', { sku: 'A-1' });
        window.gp.track('checkout.started');
        // Wait for that token, and with DPoP a moment more for the exit request's proof.
        while (window.changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 200));
        return window.changes[0]!.user!.id;
      });
      await page.close({ runBeforeUnload: true });
      let names: string[] = [];
      for (const end = Date.now() + 5000; Date.now() < end && names.length < 3; await sleep(100)) {
        const listed = await admin().call('GET', `/admin/api/users/${userId}/events`);
        names = ((listed.body['events'] ?? []) as { name: string }[]).map((event) => event.name).sort();
      }
      assert.deepEqual(names, ['cart.added', 'checkout.started', 'page.viewed']);
      await context.close();
    });
  }

  // Without DPoP: the exit request is then sendBeacon. (A DPoP fetch left hanging by the route
  // below was seen to reach the server after the tab closed all the same, so it proves nothing.)
  it('should deliver a batch whose flush was still unanswered when the tab closed', async () => {
    const context = await newContext();
    // A slow network: the first batch's POST never gets its answer, so the tab closes with that
    // request open, and closing the tab cancels it. Only the exit request can still deliver it.
    let hung = false;
    await context.route(`${server.url}/v1/events`, async (route) => {
      if (!hung && route.request().method() === 'POST') {
        hung = true;
        return;
      }
      await route.fallback();
    });
    const page = await openPage(context, url());
    const userId = await page.evaluate(async () => {
      window.gp.track('page.viewed', { path: '/cart' });
      window.gp.track('checkout.started');
      void window.gp.flush();
      while (window.changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return window.changes[0]!.user!.id;
    });
    for (const end = Date.now() + 15_000; !hung && Date.now() < end; ) await sleep(20);
    assert.ok(hung, 'the flush left and hangs');
    await page.close({ runBeforeUnload: true });
    let names: string[] = [];
    for (const end = Date.now() + 15_000; Date.now() < end && names.length < 2; await sleep(100)) {
      const listed = await admin().call('GET', `/admin/api/users/${userId}/events`);
      names = ((listed.body['events'] ?? []) as { name: string }[]).map((event) => event.name).sort();
    }
    assert.deepEqual(names, ['checkout.started', 'page.viewed']);
    await context.close();
  });

  it('should tell every tab about conversion, logout and merge, and fail with typed errors', async () => {
    const context = await newContext();
    const [a, b] = [await openPage(context, url()), await openPage(context, url())];
    const email = uniqueEmail('sdk');
    const guest = await a!.evaluate(async (address) => {
      await window.gp.updateMetadata({ cart: [{ id: 'sku-1' }] });
      await window.gp.signUp({ email: address, password: 'correct horse battery staple' });
      return window.gp.getSession();
    }, email);
    const code = codeIn(await smtp.waitFor((mail) => mail.to.includes(email)));
    const converted = await a!.evaluate(({ address, code }) => window.gp.verify({ email: address, code }), { address: email, code });
    assert.deepEqual(converted, { type: 'converted', user: { id: guest.user_id, isAnonymous: false }, sessionId: converted.sessionId });
    await b!.waitForFunction(() => window.changes.some((change) => change.type === 'converted'));
    const inB = await b!.evaluate(() => window.gp.getSession());
    assert.equal(inB.user_id, guest.user_id, 'the other tab sees the same user, now registered');
    assert.equal(inB.is_anonymous, false);
    assert.deepEqual(inB.metadata['cart'], [{ id: 'sku-1' }]);

    await a!.evaluate(() => window.gp.logOut());
    await b!.waitForFunction(() => window.changes.some((change) => change.type === 'logged_out'));
    const secondGuest = await b!.evaluate(async () => (await window.gp.getSession()).user_id);
    assert.notEqual(secondGuest, guest.user_id, 'after logout the next call starts a new guest');

    const errors = await a!.evaluate(async (address) => {
      const caught = async (run: () => Promise<unknown>) =>
        run().then(
          () => null,
          (error: { name: string; error: string; status: number }) => ({ name: error.name, error: error.error, status: error.status }),
        );
      return {
        login: await caught(() => window.gp.logIn({ email: address, password: 'wrong password entirely' })),
        stale: await caught(() => window.gp.updateMetadata({ x: 1 }, { ifMatch: '"stale"' })),
      };
    }, email);
    assert.deepEqual(errors.login, { name: 'GuestpassError', error: 'invalid_grant', status: 400 });
    assert.deepEqual(errors.stale, { name: 'GuestpassError', error: 'precondition_failed', status: 412 });

    const merged = await a!.evaluate((address) => window.gp.logIn({ email: address, password: 'correct horse battery staple' }), email);
    assert.equal(merged.type, 'merged');
    assert.equal(merged.user?.id, guest.user_id, 'the new guest went into the account');
    await b!.waitForFunction(() => window.changes.some((change) => change.type === 'merged'));
    const types = await b!.evaluate(() => window.changes.map((change) => change.type));
    assert.deepEqual(types, ['created', 'converted', 'logged_out', 'created', 'merged']);
    await context.close();
  });

  it('should start a new guest and say so when an administrator revokes the session', async () => {
    const context = await newContext();
    const page = await openPage(context, url());
    const first = await page.evaluate(() => window.gp.getSession());
    const revoked = await admin().call('POST', `/admin/api/sessions/${first.session_id}/revoke`);
    assert.ok(revoked.status < 300, JSON.stringify(revoked.body));
    // The access token dies with its session: the 401 makes the SDK refresh, which fails with invalid_grant.
    const next = await page.evaluate(() => window.gp.getSession());
    assert.notEqual(next.user_id, first.user_id);
    const types = await page.evaluate(() => window.changes.map((change) => [change.type, change.user?.id ?? null]));
    assert.deepEqual(types, [
      ['created', first.user_id],
      ['revoked', null],
      ['created', next.user_id],
    ]);
    await context.close();
  });

  it('should keep the session token out of script in cookie mode', async () => {
    const context = await newContext();
    const page = await openPage(context, url({ transport: 'cookie', dpop: true }));
    const first = await page.evaluate(async () => (await window.gp.getSession()).user_id);
    const cookies = await context.cookies(server.url);
    assert.deepEqual(
      cookies.map((cookie) => [cookie.name, cookie.httpOnly]),
      [['gp_session', true]],
    );
    const stored = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const open = indexedDB.open('guestpass');
          open.onsuccess = () => {
            const all = open.result.transaction('kv').objectStore('kv').getAll();
            all.onsuccess = () => resolve(JSON.stringify(all.result.filter((value) => typeof value.at === 'string')));
          };
        }),
    );
    assert.doesNotMatch(stored, /"st"/, 'no session token in IndexedDB');
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    await sleep(LIFETIME_MS * 1.2);
    const refreshed = await page.evaluate(async () => (await window.gp.getSession()).user_id);
    assert.equal(refreshed, first, 'refreshed through the cookie after a reload');
    const afterLogout = await page.evaluate(async () => {
      await window.gp.logOut();
      return (await window.gp.getSession()).user_id;
    });
    assert.notEqual(afterLogout, first);
    await context.close();
  });

  it('should sign up with a password and merge a guest at login in cookie mode', async () => {
    const password = 'correct horse battery staple';
    const email = uniqueEmail('cookie');
    const context = await newContext();
    const page = await openPage(context, url({ transport: 'cookie', dpop: true }));
    const guest = await page.evaluate(
      async ({ address, password }) => {
        await window.gp.updateMetadata({ cart: [{ id: 'sku-1' }] });
        // The server takes the guest from the HttpOnly cookie: the page never held its session token.
        await window.gp.signUp({ email: address, password });
        return window.gp.getSession();
      },
      { address: email, password },
    );
    const code = codeIn(await smtp.waitFor((mail) => mail.to.includes(email)));
    const converted = await page.evaluate(({ address, code }) => window.gp.verify({ email: address, code }), { address: email, code });
    assert.deepEqual(converted.user, { id: guest.user_id, isAnonymous: false });
    assert.equal(converted.type, 'converted');
    const registered = await page.evaluate(() => window.gp.getSession());
    assert.deepEqual([registered.user_id, registered.is_anonymous, registered.metadata['cart']], [guest.user_id, false, [{ id: 'sku-1' }]]);

    // Another visitor, a cookie-mode guest of its own, logs in with that password: merged.
    const otherContext = await newContext();
    const other = await openPage(otherContext, url({ transport: 'cookie', dpop: true }));
    const otherGuest = await other.evaluate(async () => (await window.gp.getSession()).user_id);
    const merged = await other.evaluate(({ address, password }) => window.gp.logIn({ email: address, password }), { address: email, password });
    assert.deepEqual([merged.type, merged.user?.id], ['merged', guest.user_id]);
    assert.notEqual(otherGuest, guest.user_id);
    const aliased = await admin().call('GET', `/admin/api/users/${otherGuest}`);
    assert.equal(aliased.body['merged_into'], guest.user_id, 'the guest is recorded as merged into the account');
    const cookies = await otherContext.cookies(server.url);
    assert.deepEqual(
      cookies.map((cookie) => [cookie.name, cookie.httpOnly]),
      [['gp_session', true]],
      'the account’s session went into the cookie',
    );
    assert.equal((await other.evaluate(() => window.gp.getSession())).user_id, guest.user_id);
    await otherContext.close();
    await context.close();
  });
});

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
