import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import makeFetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { GuestAdmin, ORIGIN } from '../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';

describeEachDatabase('cookie mode', (database) => {
  let server: TestServer;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database });
    clientId = await new GuestAdmin(server).publicClient({ transport: 'cookie' });
  });
  after(() => server.stop());

  it('should keep the session token in an HttpOnly cookie that a cookie-keeping client sends back', async () => {
    const jar = new CookieJar();
    const browser = makeFetchCookie(fetch, jar);
    const created = await browser(`${server.url}/anonymous/token`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId }),
    });
    assert.equal(created.status, 200);
    const body = (await created.json()) as Record<string, unknown>;
    assert.equal(body['session_token'], undefined, 'the token is not in the body');
    assert.equal(body['refresh_token'], undefined);
    const setCookie = created.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^gp_session=[A-Za-z0-9._-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);

    const session = await browser(`${server.url}/anonymous/session`);
    assert.equal(session.status, 200);
    assert.equal(((await session.json()) as { user_id: string }).user_id, body['user_id']);

    const firstCookie = (await jar.getCookies(server.url))[0]?.value;
    const reminted = await browser(`${server.url}/anonymous/token`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId }),
    });
    assert.equal(reminted.status, 200);
    assert.equal(((await reminted.json()) as { session_id: string }).session_id, body['session_id'], 'the cookie re-mints the same session');
    assert.notEqual((await jar.getCookies(server.url))[0]?.value, firstCookie, 'and rotates it');

    const patched = await browser(`${server.url}/anonymous/session/metadata`, {
      method: 'PATCH',
      headers: { origin: ORIGIN, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ cart: ['tea'] }),
    });
    assert.equal(patched.status, 200);

    const logout = await browser(`${server.url}/anonymous/logout`, { method: 'POST', headers: { origin: ORIGIN } });
    assert.equal(logout.status, 204);
    assert.equal((await jar.getCookies(server.url)).length, 0, 'logout clears the cookie');
  });

  it('should refuse a cookie-borne state change from another origin or with no Origin (CSRF)', async () => {
    const jar = new CookieJar();
    const browser = makeFetchCookie(fetch, jar);
    await browser(`${server.url}/anonymous/token`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId }),
    });
    for (const headers of [{ origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
      const response = await browser(`${server.url}/anonymous/session/metadata`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ cart: ['stolen'] }),
      });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: string }).error, 'access_denied');
    }
    const logout = await browser(`${server.url}/anonymous/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    assert.equal(logout.status, 403);
    const session = (await (await browser(`${server.url}/anonymous/session`)).json()) as { metadata: unknown };
    assert.deepEqual(session.metadata, {});
  });

  it('should name the cookie __Host-gp_session with Secure on an https issuer', async () => {
    const httpsServer = await startTestServer({ database, env: { GUESTPASS_ISSUER: 'https://auth.example.com' } });
    try {
      const httpsClient = await new GuestAdmin(httpsServer).publicClient({ transport: 'cookie' });
      const created = await fetch(`${httpsServer.url}/anonymous/token`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: httpsClient }),
      });
      assert.match(created.headers.get('set-cookie') ?? '', /^__Host-gp_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    } finally {
      await httpsServer.stop();
    }
  });
});
